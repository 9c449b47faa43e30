#pragma once
// Authentication at the gateway: bearer tokens verified (RS256, JWKS keys) once and then served
// from a bounded cache of verified tokens; revocations checked on every request; and the access
// decision for a route's policy. No Beast here: the server adapts these results to HTTP.
#include <boost/container/static_vector.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shopmesh/core/jwt.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

class RevocationSet;

/// Who the caller is, as forwarded to services.
struct Identity {
  std::string user_id;
  std::string role;
  std::string email;
  std::string session_id;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

enum class TokenState { absent, valid, invalid };

struct AuthOutcome {
  TokenState state = TokenState::absent;
  std::shared_ptr<const Identity> identity;  // when valid
  std::string_view reason;                   // when invalid: a core::jwt::to_string value or "revoked"
  std::string unknown_kid;                   // when the token names a kid the key set lacks
};

/// The token of an "Authorization: Bearer <token>" value; nullopt for any other shape.
std::optional<std::string_view> bearer_token(std::string_view authorization);

/// A bounded LRU of verified tokens: the token text -> identity, each entry valid until the
/// token's own deadline. Keyed by a hash, confirmed by comparing the whole token.
class TokenCache {
 public:
  explicit TokenCache(std::size_t capacity);
  ~TokenCache();
  std::shared_ptr<const Identity> get(std::string_view token, std::int64_t now_s);
  void put(std::string_view token, std::shared_ptr<const Identity> identity, std::int64_t valid_until_s);
  void clear();
  std::size_t size() const;

 private:
  struct Shard;
  Shard& shard_for(std::size_t hash) const;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::size_t per_shard_;
};

class Authenticator {
 public:
  using KeyMap = std::map<std::string, core::jwt::RsaKey, std::less<>>;

  struct Settings {
    core::jwt::VerifyOptions verify;  // issuer, audience, leeway, max token size
    std::size_t cache_capacity = 20'000;
    // Tokens claiming to live longer (exp - iat) than this plus the leeway are refused ("lifetime"):
    // the revocation set forgets a revocation after that long. Zero: no limit.
    std::chrono::seconds max_lifetime{0};
  };

  Authenticator(Settings settings, const RevocationSet& revocations);

  /// Replaces the verification keys (a JWKS fetch); returns false when they did not change.
  /// Verified tokens are forgotten on change, so a key removed from the JWKS stops working.
  bool set_keys(KeyMap keys);
  bool has_keys() const;
  std::vector<std::string> kids() const;

  /// Authenticates the Authorization header value (nullopt: no header).
  AuthOutcome authenticate(std::optional<std::string_view> authorization, std::chrono::system_clock::time_point now);

  const TokenCache& cache() const { return cache_; }

 private:
  std::shared_ptr<const KeyMap> keys() const;

  Settings settings_;
  const RevocationSet& revocations_;
  mutable std::mutex keys_mutex_;
  std::shared_ptr<const KeyMap> keys_;
  std::string keys_fingerprint_;
  TokenCache cache_;
};

/// What a route's policy makes of an authentication outcome.
enum class Access { allow, unauthenticated /*401*/, forbidden /*403*/ };
Access decide_access(AuthPolicy policy, const AuthOutcome& outcome);

/// Headers that carry identity from the gateway to services; a client's copies are removed.
bool is_identity_header(std::string_view name);
/// The identity headers to forward for a verified caller (X-User-Id, -Role, -Email, X-Session-Id),
/// views of `identity`, in place (no allocation: this runs for every request a token carries).
using IdentityHeaders = boost::container::static_vector<std::pair<std::string_view, std::string_view>, 4>;
IdentityHeaders identity_headers(const Identity& identity);

}  // namespace shopmesh::gateway
