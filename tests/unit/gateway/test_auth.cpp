#include <catch2/catch.hpp>

#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/revocation.hpp"

using namespace shopmesh::gateway;
namespace jwt = shopmesh::core::jwt;
using namespace std::chrono_literals;

namespace {

const jwt::RsaKey& signing_key() {
  static const jwt::RsaKey key = jwt::RsaKey::generate("gw-k1");
  return key;
}

Authenticator::KeyMap public_keys(const std::vector<const jwt::RsaKey*>& keys) {
  Authenticator::KeyMap map;
  for (auto& k : jwt::parse_jwks(jwt::jwks_json(keys))) {
    std::string kid = k.kid();
    map.emplace(std::move(kid), std::move(k));
  }
  return map;
}

constexpr std::int64_t kNowS = 1'760'000'000;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(kNowS));

jwt::Claims claims(std::string role = "USER", std::string sid = "sid-1") {
  jwt::Claims c;
  c.sub = "0190a0f0-0000-7000-8000-0000000000aa";
  c.iss = "shopmesh";
  c.aud = "shopmesh-api";
  c.sid = std::move(sid);
  c.email = "ann@example.com";
  c.role = std::move(role);
  c.iat = kNowS - 60;
  c.exp = kNowS + 840;
  return c;
}

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

struct Fixture {
  RevocationSet revocations{960};
  Authenticator auth{settings(), revocations};
  Fixture() { auth.set_keys(public_keys({&signing_key()})); }
  static Authenticator::Settings settings() {
    Authenticator::Settings s;
    s.verify.issuer = "shopmesh";
    s.verify.audience = "shopmesh-api";
    s.cache_capacity = 64;
    return s;
  }
  AuthOutcome check(const std::string& header, std::chrono::system_clock::time_point at = kNow) {
    return auth.authenticate(std::string_view(header), at);
  }
};

}  // namespace

TEST_CASE("gateway auth: Authorization header parsing", "[gateway]") {
  CHECK(bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(bearer_token("bearer abc") == "abc");
  CHECK(bearer_token("BEARER   abc  ") == "abc");
  CHECK_FALSE(bearer_token("Basic dXNlcjpwYXNz"));
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer "));
  CHECK_FALSE(bearer_token("Bearerabc"));
  CHECK_FALSE(bearer_token("Bearer a b"));
  CHECK_FALSE(bearer_token("Bearer a\"b"));
  CHECK_FALSE(bearer_token(""));
}

TEST_CASE("gateway auth: a valid token yields the identity, then comes from the cache", "[gateway]") {
  Fixture f;
  const auto token = jwt::sign(claims(), signing_key());
  auto first = f.check(bearer(token));
  REQUIRE(first.state == TokenState::valid);
  CHECK(first.identity->user_id == claims().sub);
  CHECK(first.identity->role == "USER");
  CHECK(first.identity->email == "ann@example.com");
  CHECK(first.identity->session_id == "sid-1");
  CHECK(f.auth.cache().size() == 1);
  auto second = f.check(bearer(token));
  REQUIRE(second.state == TokenState::valid);
  CHECK(second.identity == first.identity);  // the same cached object: no second verification
  // The cache does not outlive the token: past exp + leeway it is refused again.
  auto later = f.check(bearer(token), kNow + 840s + 31s);
  CHECK(later.state == TokenState::invalid);
  CHECK(later.reason == "expired");
}

TEST_CASE("gateway auth: no header is anonymous, a bad header is invalid, never anonymous", "[gateway]") {
  Fixture f;
  CHECK(f.auth.authenticate(std::nullopt, kNow).state == TokenState::absent);
  auto basic = f.check("Basic dXNlcjpwYXNz");
  CHECK(basic.state == TokenState::invalid);
  CHECK(basic.reason == "malformed");
  CHECK(f.check("Bearer not-a-jwt").state == TokenState::invalid);
  // Characters outside token68 are refused before any verification, cached tokens or not.
  const auto token = jwt::sign(claims(), signing_key());
  REQUIRE(f.check(bearer(token)).state == TokenState::valid);
  for (const auto* bad : {"\"", ",", "\x01", "\xff"}) {
    auto spoiled = f.check(bearer(token + bad));
    CHECK(spoiled.state == TokenState::invalid);
    CHECK(spoiled.reason == "malformed");
  }
  const auto none =
      jwt::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
      jwt::base64url_encode(R"({"sub":"x","iss":"shopmesh","aud":"shopmesh-api","exp":1760000900,"role":"ADMIN"})") +
      ".";
  auto r = f.check(bearer(none));
  CHECK(r.state == TokenState::invalid);
  CHECK(f.auth.cache().size() == 1);  // the valid token only
}

TEST_CASE("gateway auth: an unknown kid is reported so the JWKS can be refetched", "[gateway]") {
  Fixture f;
  auto rotated = jwt::RsaKey::generate("gw-k2");
  const auto token = jwt::sign(claims(), rotated);
  auto r = f.check(bearer(token));
  CHECK(r.state == TokenState::invalid);
  CHECK(r.reason == "unknown_kid");
  CHECK(r.unknown_kid == "gw-k2");
  // After the refetch brings the new key, the same token works.
  CHECK(f.auth.set_keys(public_keys({&signing_key(), &rotated})));
  CHECK_FALSE(f.auth.set_keys(public_keys({&signing_key(), &rotated})));  // unchanged
  CHECK(f.check(bearer(token)).state == TokenState::valid);
}

TEST_CASE("gateway auth: a key dropped from the JWKS stops working at once, cache included", "[gateway]") {
  Fixture f;
  const auto token = jwt::sign(claims(), signing_key());
  REQUIRE(f.check(bearer(token)).state == TokenState::valid);
  auto other = jwt::RsaKey::generate("gw-k3");
  REQUIRE(f.auth.set_keys(public_keys({&other})));
  CHECK(f.auth.cache().size() == 0);
  CHECK(f.check(bearer(token)).state == TokenState::invalid);
}

TEST_CASE("gateway auth: revocations apply to verified and cached tokens alike", "[gateway]") {
  Fixture f;
  const auto token = jwt::sign(claims("USER", "sid-1"), signing_key());
  const auto other_session = jwt::sign(claims("USER", "sid-2"), signing_key());
  REQUIRE(f.check(bearer(token)).state == TokenState::valid);  // now cached

  f.revocations.add({claims().sub, "sid-1", "", kNowS}, kNowS);
  auto r = f.check(bearer(token));
  CHECK(r.state == TokenState::invalid);
  CHECK(r.reason == "revoked");
  CHECK(f.check(bearer(other_session)).state == TokenState::valid);

  // All sessions but sid-2 (a password change made from sid-2), issued at or before revokedAt.
  Fixture g;
  g.revocations.add({claims().sub, "", "sid-2", kNowS}, kNowS);
  CHECK(g.check(bearer(jwt::sign(claims("USER", "sid-3"), signing_key()))).reason == "revoked");
  CHECK(g.check(bearer(other_session)).state == TokenState::valid);
  auto fresh = claims("USER", "sid-4");
  fresh.iat = kNowS + 1;  // a login after the revocation
  CHECK(g.check(bearer(jwt::sign(fresh, signing_key())), kNow + 2s).state == TokenState::valid);
}

TEST_CASE("gateway auth: claims that could break a header line are refused", "[gateway]") {
  Fixture f;
  auto c = claims();
  c.email = "ann@example.com\r\nX-User-Role: ADMIN";
  auto r = f.check(bearer(jwt::sign(c, signing_key())));
  CHECK(r.state == TokenState::invalid);
  CHECK(r.reason == "malformed");
}

TEST_CASE("gateway auth: route policy decisions", "[gateway]") {
  AuthOutcome absent;
  AuthOutcome invalid;
  invalid.state = TokenState::invalid;
  AuthOutcome user;
  user.state = TokenState::valid;
  user.identity = std::make_shared<Identity>(Identity{"u1", "USER", "", "", 0, 0});
  AuthOutcome admin;
  admin.state = TokenState::valid;
  admin.identity = std::make_shared<Identity>(Identity{"u2", "ADMIN", "", "", 0, 0});

  CHECK(decide_access(AuthPolicy::public_access, absent) == Access::allow);
  CHECK(decide_access(AuthPolicy::public_access, user) == Access::allow);
  CHECK(decide_access(AuthPolicy::public_access, invalid) == Access::unauthenticated);
  CHECK(decide_access(AuthPolicy::user, absent) == Access::unauthenticated);
  CHECK(decide_access(AuthPolicy::user, invalid) == Access::unauthenticated);
  CHECK(decide_access(AuthPolicy::user, user) == Access::allow);
  CHECK(decide_access(AuthPolicy::user, admin) == Access::allow);
  CHECK(decide_access(AuthPolicy::admin, absent) == Access::unauthenticated);
  CHECK(decide_access(AuthPolicy::admin, invalid) == Access::unauthenticated);
  CHECK(decide_access(AuthPolicy::admin, user) == Access::forbidden);
  CHECK(decide_access(AuthPolicy::admin, admin) == Access::allow);
}

TEST_CASE("gateway auth: identity headers are recognised in any case and forwarded from claims", "[gateway]") {
  for (const char* h : {"X-User-Id", "x-user-role", "X-USER-EMAIL", "X-Session-Id", "x-user-anything"})
    CHECK(is_identity_header(h));
  for (const char* h : {"X-User", "X-Request-Id", "Authorization", "X-Users", "x-session"})
    CHECK_FALSE(is_identity_header(h));
  Identity id{"u1", "ADMIN", "a@b.c", "s1", 0, 0};
  auto headers = identity_headers(id);
  REQUIRE(headers.size() == 4);
  CHECK(headers[0] == std::pair<std::string_view, std::string_view>{"X-User-Id", "u1"});
  CHECK(headers[1].second == "ADMIN");
  CHECK(headers[2].second == "a@b.c");
  CHECK(headers[3] == std::pair<std::string_view, std::string_view>{"X-Session-Id", "s1"});
  for (const auto& [name, _] : headers) CHECK(is_identity_header(name));
  CHECK(identity_headers(Identity{"u1", "", "", "", 0, 0}).size() == 1);
}

TEST_CASE("gateway auth: the token cache is bounded", "[gateway]") {
  TokenCache cache(32);
  auto id = std::make_shared<const Identity>();
  for (int i = 0; i < 1000; ++i) cache.put("token-" + std::to_string(i), id, kNowS + 100);
  CHECK(cache.size() <= 32);
  CHECK(cache.get("token-999", kNowS) != nullptr);
  CHECK(cache.get("token-999", kNowS + 100) == nullptr);  // expired
  CHECK(cache.get("never", kNowS) == nullptr);
  TokenCache off(0);
  off.put("t", id, kNowS + 100);
  CHECK(off.get("t", kNowS) == nullptr);
}

TEST_CASE("gateway auth: a token claiming to outlive the revocation memory is refused", "[gateway]") {
  RevocationSet revocations{930};
  auto s = Fixture::settings();
  s.max_lifetime = 900s;  // JWT_ACCESS_TTL_SECONDS; the leeway (30 s) is added
  Authenticator auth{s, revocations};
  auth.set_keys(public_keys({&signing_key()}));
  auto c = claims();
  c.iat = kNowS - 10;
  c.exp = c.iat + 930;  // the TTL plus the leeway: still accepted
  CHECK(auth.authenticate(bearer(jwt::sign(c, signing_key())), kNow).state == TokenState::valid);
  c.exp = c.iat + 931;
  auto longer = auth.authenticate(bearer(jwt::sign(c, signing_key())), kNow);
  CHECK(longer.state == TokenState::invalid);
  CHECK(longer.reason == "lifetime");
}
