#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "shopmesh/core/jwt.hpp"

using namespace shopmesh::core::jwt;
using namespace std::chrono_literals;

namespace {

using KeyMap = std::map<std::string, RsaKey, std::less<>>;

// One key pair for the whole file: RSA generation costs tens of milliseconds.
const RsaKey& test_key() {
  static const RsaKey key = RsaKey::generate("k1");
  return key;
}

KeyMap public_keys() {
  KeyMap keys;
  for (auto& k : parse_jwks(jwks_json({&test_key()}))) keys.emplace(k.kid(), std::move(k));
  return keys;
}

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'750'000'000));
constexpr std::int64_t kNowS = 1'750'000'000;

Claims valid_claims() {
  Claims c;
  c.sub = "0190a0f0-0000-7000-8000-000000000001";
  c.iss = "shopmesh";
  c.aud = "shopmesh-api";
  c.jti = "jti-1";
  c.sid = "sid-1";
  c.email = "ann@example.com";
  c.role = "USER";
  c.iat = kNowS - 10;
  c.exp = kNowS + 900;
  return c;
}

VerifyOptions options() {
  VerifyOptions o;
  o.issuer = "shopmesh";
  o.audience = "shopmesh-api";
  o.leeway = 30s;
  return o;
}

VerifyResult check(std::string_view token) {
  return verify(token, public_keys(), options(), kNow);
}

std::string part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const auto end = token.find('.', start);
  return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string hs256(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                    reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                    &len) != nullptr);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

TEST_CASE("jwt: base64url is strict and round-trips", "[jwt]") {
  const std::vector<std::string> samples{"",     "f",     "fo",     "foo",
                                         "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)};
  for (const auto& s : samples) CHECK(base64url_decode(base64url_encode(s)) == s);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("Zm9v="));  // padding
  CHECK_FALSE(base64url_decode("Zm+v"));   // standard alphabet
  CHECK_FALSE(base64url_decode("Zm9 v"));  // whitespace
  CHECK_FALSE(base64url_decode("Z"));      // impossible length
  CHECK_FALSE(base64url_decode("Zh"));     // non-zero trailing bits ("Zg" is canonical)
  CHECK(base64url_decode("Zg") == "f");
  std::string head = "v1.";  // appended after what is there, as a credential is written into a head
  base64url_append(head, "\xfb\xff");
  base64url_append(head, "foobar");
  CHECK(head == "v1.-_8Zm9vYmFy");
}

TEST_CASE("jwt: sign then verify round-trips every claim", "[jwt]") {
  const auto token = sign(valid_claims(), test_key());
  auto r = check(token);
  REQUIRE(r.claims);
  CHECK(r.kid == "k1");
  CHECK(r.claims->sub == valid_claims().sub);
  CHECK(r.claims->iss == "shopmesh");
  CHECK(r.claims->aud == "shopmesh-api");
  CHECK(r.claims->jti == "jti-1");
  CHECK(r.claims->sid == "sid-1");
  CHECK(r.claims->email == "ann@example.com");
  CHECK(r.claims->role == "USER");
  CHECK(r.claims->iat == kNowS - 10);
  CHECK(r.claims->exp == kNowS + 900);
  auto header = base64url_decode(part(token, 0));
  REQUIRE(header);
  CHECK(*header == R"({"alg":"RS256","typ":"JWT","kid":"k1"})");
}

TEST_CASE("jwt: the private key survives PEM, the public key survives JWK", "[jwt]") {
  auto copy = RsaKey::from_private_pem("k1", test_key().private_pem());
  CHECK(copy.has_private());
  CHECK(check(sign(valid_claims(), copy)).claims);
  CHECK(copy.public_jwk_json() == test_key().public_jwk_json());
  auto pub = public_keys();
  CHECK_FALSE(pub.at("k1").has_private());
  CHECK_THROWS(pub.at("k1").private_pem());
  CHECK_THROWS(sign(valid_claims(), pub.at("k1")));
  CHECK_THROWS(RsaKey::from_private_pem("x", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"));
  CHECK(test_key().public_pem().rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
}

TEST_CASE("jwt: JWKS round trip: jwks_json -> parse_jwks -> verify, with two keys", "[jwt]") {
  auto second = RsaKey::generate("k2");
  const auto doc = jwks_json({&test_key(), &second});
  auto parsed = parse_jwks(doc);
  REQUIRE(parsed.size() == 2);
  KeyMap keys;
  for (auto& k : parsed) keys.emplace(k.kid(), std::move(k));
  CHECK(verify(sign(valid_claims(), second), keys, options(), kNow).claims);
  CHECK(verify(sign(valid_claims(), test_key()), keys, options(), kNow).claims);
  // A token whose header names k2 but was signed by k1 fails on the signature.
  auto forged = sign_raw(R"({"alg":"RS256","kid":"k2"})",
                         R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})", test_key());
  CHECK(verify(forged, keys, options(), kNow).error == VerifyError::bad_signature);
}

TEST_CASE("jwt: parse_jwks skips foreign and unusable keys, rejects non-documents", "[jwt]") {
  const std::string good = test_key().public_jwk_json();
  const std::string doc = R"({"keys":[)"
                          R"({"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},)"
                          R"({"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},)"
                          R"({"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"},)"
                          R"({"kty":"RSA","kid":"ps","alg":"PS256","n":"AQAB","e":"AQAB"},)"
                          R"({"kty":"RSA","n":"AQAB","e":"AQAB"},)"
                          R"("not an object",)" +
                          good + "]}";
  auto keys = parse_jwks(doc);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].kid() == "k1");
  CHECK_THROWS(parse_jwks("[]"));
  CHECK_THROWS(parse_jwks("{}"));
  CHECK_THROWS(parse_jwks("{\"keys\":"));
  CHECK_THROWS(RsaKey::from_jwk("x", "AQAB", "AQAB"));  // 17-bit modulus
  CHECK_THROWS(RsaKey::from_jwk("x", "not base64!", "AQAB"));
}

TEST_CASE("jwt: a tampered payload or signature fails", "[jwt]") {
  const auto token = sign(valid_claims(), test_key());
  auto claims = valid_claims();
  claims.role = "ADMIN";
  const auto other = sign(claims, test_key());
  // Payload of the ADMIN token with the USER token's signature.
  const auto spliced = part(token, 0) + "." + part(other, 1) + "." + part(token, 2);
  CHECK(check(spliced).error == VerifyError::bad_signature);

  auto sig = *base64url_decode(part(token, 2));
  sig[10] = static_cast<char>(sig[10] ^ 0x01);
  CHECK(check(part(token, 0) + "." + part(token, 1) + "." + base64url_encode(sig)).error == VerifyError::bad_signature);
  CHECK(check(part(token, 0) + "." + part(token, 1) + "." + base64url_encode(sig.substr(1))).error ==
        VerifyError::bad_signature);
}

TEST_CASE("jwt: alg none is rejected, with or without a signature", "[jwt]") {
  const auto payload = base64url_encode(R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})");
  for (std::string_view header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"none","kid":"k1"})",
                                  R"({"alg":"None","kid":"k1"})", R"({"typ":"JWT","kid":"k1"})"}) {
    const auto h = base64url_encode(header);
    CHECK(check(h + "." + payload + ".").error == VerifyError::malformed);  // empty signature part
    CHECK(check(h + "." + payload + ".c2ln").error == VerifyError::bad_algorithm);
  }
}

TEST_CASE("jwt: HS256 signed with the public key as secret (algorithm confusion) is rejected", "[jwt]") {
  const auto payload =
      base64url_encode(R"({"sub":"attacker","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900,"role":"ADMIN"})");
  for (const std::string& secret : {test_key().public_pem(), test_key().public_jwk_json()}) {
    for (std::string alg : {"HS256", "HS384", "HS512"}) {
      const auto header = base64url_encode(R"({"alg":")" + alg + R"(","typ":"JWT","kid":"k1"})");
      const auto input = header + "." + payload;
      auto r = check(input + "." + base64url_encode(hs256(secret, input)));
      CHECK_FALSE(r.claims);
      CHECK(r.error == VerifyError::bad_algorithm);
    }
  }
  for (const char* alg : {"ES256", "PS256", "RS384", "RS512", "rs256", "EdDSA"}) {
    const auto header = base64url_encode(std::string(R"({"alg":")") + alg + R"(","kid":"k1"})");
    CHECK(check(header + "." + payload + ".c2ln").error == VerifyError::bad_algorithm);
  }
}

TEST_CASE("jwt: header checks: typ, kid, crit", "[jwt]") {
  const std::string payload = R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})";
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1"})", payload, test_key())).claims);  // typ optional
  CHECK(check(sign_raw(R"({"alg":"RS256","typ":"JWS","kid":"k1"})", payload, test_key())).error ==
        VerifyError::malformed);
  CHECK(check(sign_raw(R"({"alg":"RS256","typ":1,"kid":"k1"})", payload, test_key())).error == VerifyError::malformed);
  CHECK(check(sign_raw(R"({"alg":"RS256"})", payload, test_key())).error == VerifyError::malformed);
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1","crit":["exp"]})", payload, test_key())).error ==
        VerifyError::malformed);
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1","alg":"none"})", payload, test_key())).error ==
        VerifyError::malformed);  // duplicate member
}

TEST_CASE("jwt: an unknown kid is reported with the kid (so callers can refetch the JWKS)", "[jwt]") {
  auto stranger = RsaKey::generate("k9");
  auto r = check(sign(valid_claims(), stranger));
  CHECK_FALSE(r.claims);
  CHECK(r.error == VerifyError::unknown_kid);
  CHECK(r.kid == "k9");
  CHECK(verify(sign(valid_claims(), test_key()), KeyMap{}, options(), kNow).error == VerifyError::unknown_kid);
}

TEST_CASE("jwt: exp and nbf are checked with leeway", "[jwt]") {
  auto c = valid_claims();
  c.exp = kNowS - 31;
  CHECK(check(sign(c, test_key())).error == VerifyError::expired);
  c.exp = kNowS - 29;  // within the 30 s leeway
  CHECK(check(sign(c, test_key())).claims);
  c.exp = kNowS + 900;
  c.nbf = kNowS + 31;
  CHECK(check(sign(c, test_key())).error == VerifyError::not_yet_valid);
  c.nbf = kNowS + 29;
  CHECK(check(sign(c, test_key())).claims);
  auto strict = options();
  strict.leeway = 0s;
  c.nbf = 0;
  c.exp = kNowS;
  CHECK(verify(sign(c, test_key()), public_keys(), strict, kNow).error == VerifyError::expired);
  // Fractional NumericDate values are accepted.
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1"})",
                       R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900.5})", test_key()))
            .claims);
}

TEST_CASE("jwt: issuer and audience must match, aud may be an array", "[jwt]") {
  auto c = valid_claims();
  c.iss = "evil";
  CHECK(check(sign(c, test_key())).error == VerifyError::wrong_issuer);
  c = valid_claims();
  c.aud = "other-api";
  CHECK(check(sign(c, test_key())).error == VerifyError::wrong_audience);
  const std::string h = R"({"alg":"RS256","kid":"k1"})";
  auto arr =
      check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":["x","shopmesh-api"],"exp":1750000900})", test_key()));
  REQUIRE(arr.claims);
  CHECK(arr.claims->aud == "shopmesh-api");
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":["x","y"],"exp":1750000900})", test_key())).error ==
        VerifyError::wrong_audience);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":[],"exp":1750000900})", test_key())).error ==
        VerifyError::malformed);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":["x",1],"exp":1750000900})", test_key())).error ==
        VerifyError::malformed);
}

TEST_CASE("jwt: sub, exp, iss and aud are required, claim types are checked", "[jwt]") {
  const std::string h = R"({"alg":"RS256","kid":"k1"})";
  CHECK(check(sign_raw(h, R"({"iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})", test_key())).error ==
        VerifyError::missing_claim);
  CHECK(check(sign_raw(h, R"({"sub":"","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})", test_key())).error ==
        VerifyError::missing_claim);
  CHECK(check(sign_raw(h, R"({"sub":"u","aud":"shopmesh-api","exp":1750000900})", test_key())).error ==
        VerifyError::missing_claim);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","exp":1750000900})", test_key())).error ==
        VerifyError::missing_claim);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api"})", test_key())).error ==
        VerifyError::missing_claim);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":"soon"})", test_key())).error ==
        VerifyError::malformed);
  CHECK(check(sign_raw(h, R"({"sub":7,"iss":"shopmesh","aud":"shopmesh-api","exp":1750000900})", test_key())).error ==
        VerifyError::malformed);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1750000900,"role":["ADMIN"]})",
                       test_key()))
            .error == VerifyError::malformed);
  CHECK(check(sign_raw(h, R"({"sub":"u","iss":"shopmesh","aud":"shopmesh-api","exp":1e300})", test_key())).error ==
        VerifyError::malformed);
}

TEST_CASE("jwt: malformed tokens: parts, base64url, JSON", "[jwt]") {
  const auto token = sign(valid_claims(), test_key());
  CHECK(check("").error == VerifyError::malformed);
  CHECK(check("abc").error == VerifyError::malformed);
  CHECK(check("a.b").error == VerifyError::malformed);
  CHECK(check(token + ".x").error == VerifyError::malformed);  // four parts
  CHECK(check("..").error == VerifyError::malformed);
  CHECK(check("!!!." + part(token, 1) + "." + part(token, 2)).error == VerifyError::malformed);
  CHECK(check(part(token, 0) + "=." + part(token, 1) + "." + part(token, 2)).error == VerifyError::malformed);
  CHECK(check(part(token, 0) + "." + part(token, 1) + "." + part(token, 2) + "*").error == VerifyError::malformed);
  // Three base64url parts whose header is not JSON, or JSON that is not an object.
  CHECK(check(base64url_encode("garbage{") + "." + part(token, 1) + "." + part(token, 2)).error ==
        VerifyError::malformed);
  CHECK(check(base64url_encode(R"(["RS256"])") + "." + part(token, 1) + "." + part(token, 2)).error ==
        VerifyError::malformed);
  CHECK(check(base64url_encode(std::string(5000, '[')) + "." + part(token, 1) + "." + part(token, 2)).error ==
        VerifyError::malformed);
  // A correctly signed payload that is garbage, or not an object.
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1"})", "not json", test_key())).error == VerifyError::malformed);
  CHECK(check(sign_raw(R"({"alg":"RS256","kid":"k1"})", "42", test_key())).error == VerifyError::malformed);
}

TEST_CASE("jwt: oversized tokens are rejected before parsing", "[jwt]") {
  auto c = valid_claims();
  c.email = std::string(9000, 'a') + "@example.com";
  const auto big = sign(c, test_key());
  REQUIRE(big.size() > 8 * 1024);
  CHECK(check(big).error == VerifyError::malformed);
  auto roomy = options();
  roomy.max_token_bytes = 64 * 1024;
  CHECK(verify(big, public_keys(), roomy, kNow).claims);
}

TEST_CASE("jwt: error names are stable", "[jwt]") {
  CHECK(to_string(VerifyError::bad_algorithm) == "bad_algorithm");
  CHECK(to_string(VerifyError::unknown_kid) == "unknown_kid");
  CHECK(to_string(VerifyError::expired) == "expired");
}
