#include "shopmesh/auth/tokens.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::auth {

namespace jwt = core::jwt;

KeyRing::KeyRing(std::vector<jwt::RsaKey> keys) {
  if (keys.empty()) throw std::invalid_argument("KeyRing: no signing key");
  current_kid_ = keys.front().kid();
  std::vector<std::string> order;
  for (auto& k : keys) {
    if (!k.has_private()) throw std::invalid_argument("KeyRing: key " + k.kid() + " has no private part");
    order.push_back(k.kid());
    std::string kid = k.kid();
    keys_.emplace(std::move(kid), std::move(k));
  }
  std::vector<const jwt::RsaKey*> published;
  for (const auto& kid : order) published.push_back(&keys_.at(kid));
  jwks_ = jwt::jwks_json(published);
}

const jwt::RsaKey& KeyRing::current() const {
  return keys_.at(current_kid_);
}

AccessToken TokenIssuer::issue(const Account& account, const std::string& session_id,
                               std::chrono::system_clock::time_point now, std::int64_t issued_after_s) const {
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t iat = std::max(now_s, issued_after_s + 1);
  jwt::Claims c;
  c.sub = account.id;
  c.iss = settings_.issuer;
  c.aud = settings_.audience;
  c.jti = core::uuid_v7();
  c.sid = session_id;
  c.email = account.email;
  c.role = std::string(to_string(account.role));
  c.iat = iat;
  c.nbf = iat;
  c.exp = iat + settings_.access_ttl.count();
  AccessToken t;
  t.token = jwt::sign(c, ring_.current());
  t.jti = c.jti;
  t.expires_in = settings_.access_ttl.count();
  return t;
}

jwt::VerifyResult TokenIssuer::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  jwt::VerifyOptions options;
  options.issuer = settings_.issuer;
  options.audience = settings_.audience;
  return jwt::verify(token, ring_.keys(), options, now);
}

std::string new_refresh_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("refresh token: no randomness");
  return jwt::base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string refresh_token_hash(std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0x0F]);
  }
  return hex;
}

RefreshOutcome decide_refresh(const std::optional<StoredRefresh>& stored) {
  if (!stored) return RefreshOutcome::unknown;
  if (stored->session_revoked || stored->account_deleted) return RefreshOutcome::revoked;
  if (stored->used) return RefreshOutcome::reuse;
  if (stored->expired) return RefreshOutcome::expired;
  return RefreshOutcome::rotate;
}

std::string_view reason_of(jwt::VerifyError error) {
  return jwt::to_string(error);
}

std::string claims_json(const jwt::Claims& c) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "sub", c.sub);
  core::json::kv(w, "iss", c.iss);
  core::json::kv(w, "aud", c.aud);
  core::json::kv(w, "jti", c.jti);
  core::json::kv(w, "sid", c.sid);
  core::json::kv(w, "email", c.email);
  core::json::kv(w, "role", c.role);
  w.Key("iat");
  w.Int64(c.iat);
  w.Key("nbf");
  w.Int64(c.nbf);
  w.Key("exp");
  w.Int64(c.exp);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace shopmesh::auth
