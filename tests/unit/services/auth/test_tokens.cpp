// Access tokens, the key ring and JWKS, refresh-token format and the refresh-family rules.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <set>

#include "shopmesh/auth/tokens.hpp"

using namespace shopmesh;
using namespace shopmesh::auth;
namespace jwt = shopmesh::core::jwt;

namespace {

const std::vector<jwt::RsaKey>& test_keys() {
  static const auto keys = [] {
    std::vector<jwt::RsaKey> k;
    k.push_back(jwt::RsaKey::generate("kid-new"));
    k.push_back(jwt::RsaKey::generate("kid-old"));
    return k;
  }();
  return keys;
}

std::vector<jwt::RsaKey> copy_keys() {
  std::vector<jwt::RsaKey> out;
  for (const auto& k : test_keys()) out.push_back(jwt::RsaKey::from_private_pem(k.kid(), k.private_pem()));
  return out;
}

TokenIssuer make_issuer() {
  TokenSettings s;
  s.issuer = "shopmesh";
  s.audience = "shopmesh-api";
  s.access_ttl = std::chrono::seconds(900);
  return TokenIssuer(KeyRing(copy_keys()), s);
}

const Account kAccount{"0190f0f0-0000-7000-8000-000000000001", "ann@example.com", "Ann", Role::admin,
                       "2026-01-01T00:00:00.000Z"};

}  // namespace

TEST_CASE("auth: access tokens carry the account, session and kid of the current key", "[auth][tokens]") {
  auto issuer = make_issuer();
  const auto now = std::chrono::system_clock::now();
  auto t = issuer.issue(kAccount, "0190f0f0-0000-7000-8000-0000000000aa", now);
  CHECK(t.expires_in == 900);
  auto v = issuer.verify(t.token, now);
  REQUIRE(v.claims);
  CHECK(v.kid == "kid-new");
  CHECK(v.claims->sub == kAccount.id);
  CHECK(v.claims->sid == "0190f0f0-0000-7000-8000-0000000000aa");
  CHECK(v.claims->role == "ADMIN");
  CHECK(v.claims->email == kAccount.email);
  CHECK(v.claims->jti == t.jti);
  CHECK(v.claims->exp - v.claims->iat == 900);
  // Expired after the TTL (plus leeway).
  auto late = issuer.verify(t.token, now + std::chrono::seconds(900 + 60));
  CHECK_FALSE(late.claims);
  CHECK(late.error == jwt::VerifyError::expired);
  CHECK(reason_of(late.error) == "expired");
}

TEST_CASE("auth: tokens signed by the previous key still verify, foreign keys do not", "[auth][tokens]") {
  auto issuer = make_issuer();
  const auto now = std::chrono::system_clock::now();
  jwt::Claims c;
  c.sub = kAccount.id;
  c.iss = "shopmesh";
  c.aud = "shopmesh-api";
  c.sid = "s";
  c.iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  c.exp = c.iat + 60;
  CHECK(issuer.verify(jwt::sign(c, test_keys()[1]), now).claims);
  auto stranger = jwt::RsaKey::generate("kid-new");  // same kid, other key
  auto forged = issuer.verify(jwt::sign(c, stranger), now);
  CHECK(forged.error == jwt::VerifyError::bad_signature);
  c.aud = "someone-else";
  CHECK(issuer.verify(jwt::sign(c, test_keys()[0]), now).error == jwt::VerifyError::wrong_audience);
}

TEST_CASE("auth: the JWKS lists current and previous keys, public parts only", "[auth][tokens]") {
  KeyRing ring(copy_keys());
  CHECK(ring.current_kid() == "kid-new");
  rapidjson::Document d;
  d.Parse(ring.jwks().c_str());
  REQUIRE(d.IsObject());
  REQUIRE(d["keys"].Size() == 2);
  CHECK(std::string(d["keys"][0]["kid"].GetString()) == "kid-new");
  CHECK(std::string(d["keys"][1]["kid"].GetString()) == "kid-old");
  CHECK(std::string(d["keys"][0]["alg"].GetString()) == "RS256");
  CHECK_FALSE(d["keys"][0].HasMember("d"));  // no private exponent
  CHECK(ring.jwks().find("PRIVATE") == std::string::npos);
  CHECK_THROWS(KeyRing(std::vector<jwt::RsaKey>{}));
}

TEST_CASE("auth: refresh tokens are 256-bit random, stored as SHA-256 hex", "[auth][tokens]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(new_refresh_token());
  CHECK(seen.size() == 100);
  const auto token = *seen.begin();
  CHECK(token.size() == 43);  // 32 bytes base64url, no padding
  CHECK(jwt::base64url_decode(token)->size() == 32);
  const auto hash = refresh_token_hash(token);
  CHECK(hash.size() == 64);
  CHECK(hash == refresh_token_hash(token));
  CHECK(hash != refresh_token_hash(token + "x"));
  CHECK(refresh_token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("auth: refresh family rules", "[auth][tokens]") {
  CHECK(decide_refresh(std::nullopt) == RefreshOutcome::unknown);
  CHECK(decide_refresh(StoredRefresh{}) == RefreshOutcome::rotate);
  CHECK(decide_refresh(StoredRefresh{.used = true}) == RefreshOutcome::reuse);
  CHECK(decide_refresh(StoredRefresh{.expired = true}) == RefreshOutcome::expired);
  // A used token is theft evidence even when it has expired since.
  CHECK(decide_refresh(StoredRefresh{.used = true, .expired = true}) == RefreshOutcome::reuse);
  // Once the family is revoked, nothing in it works, and reuse is not reported twice.
  CHECK(decide_refresh(StoredRefresh{.used = true, .session_revoked = true}) == RefreshOutcome::revoked);
  CHECK(decide_refresh(StoredRefresh{.session_revoked = true}) == RefreshOutcome::revoked);
  CHECK(decide_refresh(StoredRefresh{.account_deleted = true}) == RefreshOutcome::revoked);
}

TEST_CASE("auth: verified claims render as JSON", "[auth][tokens]") {
  jwt::Claims c;
  c.sub = "u";
  c.iss = "i";
  c.aud = "a";
  c.jti = "j";
  c.sid = "s";
  c.email = "e@x.io";
  c.role = "USER";
  c.iat = 1;
  c.nbf = 1;
  c.exp = 2;
  CHECK(
      claims_json(c) ==
      R"({"sub":"u","iss":"i","aud":"a","jti":"j","sid":"s","email":"e@x.io","role":"USER","iat":1,"nbf":1,"exp":2})");
}

TEST_CASE("auth: tokens issued in the second of a user-wide revocation get a later iat", "[auth][tokens]") {
  auto issuer = make_issuer();
  const auto now = std::chrono::system_clock::now();
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto plain = issuer.verify(issuer.issue(kAccount, "s", now).token, now);
  REQUIRE(plain.claims);
  CHECK(plain.claims->iat == now_s);
  CHECK(issuer.verify(issuer.issue(kAccount, "s", now, now_s - 10).token, now).claims->iat == now_s);
  auto bumped = issuer.verify(issuer.issue(kAccount, "s", now, now_s).token, now);
  REQUIRE(bumped.claims);  // still valid (nbf leeway)
  CHECK(bumped.claims->iat == now_s + 1);
  CHECK(bumped.claims->exp == now_s + 1 + 900);
}
