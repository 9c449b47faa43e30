#pragma once
// Access tokens (RS256 JWTs signed with the current key) and refresh tokens (opaque 256-bit
// random values stored as SHA-256, grouped in families = sessions, rotated on every use).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/auth/account.hpp"
#include "shopmesh/core/jwt.hpp"

namespace shopmesh::auth {

/// The signing keys in use: the newest signs, all of them verify and are published in the JWKS.
class KeyRing {
 public:
  /// `keys` newest first; must not be empty and every key must have its private part.
  explicit KeyRing(std::vector<core::jwt::RsaKey> keys);

  const core::jwt::RsaKey& current() const;
  const std::string& current_kid() const { return current_kid_; }
  const std::map<std::string, core::jwt::RsaKey, std::less<>>& keys() const { return keys_; }
  /// The JWKS document (public parts only), in the order given.
  const std::string& jwks() const { return jwks_; }

 private:
  std::map<std::string, core::jwt::RsaKey, std::less<>> keys_;
  std::string current_kid_;
  std::string jwks_;
};

struct TokenSettings {
  std::string issuer;
  std::string audience;
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds refresh_ttl{7 * 24 * 3600};
};

struct AccessToken {
  std::string token;
  std::string jti;
  std::int64_t expires_in = 0;  // seconds
};

class TokenIssuer {
 public:
  TokenIssuer(KeyRing ring, TokenSettings settings) : ring_(std::move(ring)), settings_(std::move(settings)) {}

  /// Signs an access token for `account` in session `session_id`. Its `iat` is after
  /// `issued_after_s` (the second of the account's latest all-sessions revocation): gateways
  /// compare whole seconds, and a token issued in the same second would look revoked.
  AccessToken issue(const Account& account, const std::string& session_id, std::chrono::system_clock::time_point now,
                    std::int64_t issued_after_s = 0) const;
  /// Checks signature, algorithm, kid, expiry, issuer and audience (not revocation).
  core::jwt::VerifyResult verify(std::string_view token, std::chrono::system_clock::time_point now) const;

  const KeyRing& keys() const { return ring_; }
  const TokenSettings& settings() const { return settings_; }

 private:
  KeyRing ring_;
  TokenSettings settings_;
};

/// A new refresh token: 32 random bytes, base64url (43 characters).
std::string new_refresh_token();
/// SHA-256 of the token text, lower-case hex: what the database stores and looks up.
std::string refresh_token_hash(std::string_view token);

/// What the database knows about a presented refresh token.
struct StoredRefresh {
  bool used = false;             // already rotated
  bool expired = false;          // past its expiry
  bool session_revoked = false;  // its family was revoked
  bool account_deleted = false;
};

enum class RefreshOutcome {
  rotate,   // valid: consume it, issue the successor in the same family
  unknown,  // never issued (or pruned)
  expired,
  revoked,  // family revoked or account deleted
  reuse,    // a rotated token presented again: revoke the whole family
};

/// The refresh rules, in order: unknown, revoked, reuse, expired, rotate.
RefreshOutcome decide_refresh(const std::optional<StoredRefresh>& stored);

/// Why a token verification failed, as `/api/auth/verify` reports it.
std::string_view reason_of(core::jwt::VerifyError error);

/// The verified claims as JSON: {sub, iss, aud, jti, sid, email, role, iat, nbf, exp}.
std::string claims_json(const core::jwt::Claims& claims);

}  // namespace shopmesh::auth
