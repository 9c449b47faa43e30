// Mesh credentials (mesh_auth.hpp): what a credential binds, expiry, key rotation, and refusals.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/jwt.hpp"
#include "shopmesh/core/mesh_auth.hpp"

using shopmesh::core::Headers;
using shopmesh::core::MeshAuth;
using shopmesh::core::MeshIdentity;

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kOtherKey = "fedcba9876543210fedcba9876543210";
const MeshIdentity kAlice{"u-1", "USER", "alice@example.com", "s-1"};

}  // namespace

TEST_CASE("mesh auth: a credential verifies for the request it was signed for", "[mesh]") {
  const MeshAuth gateway("gateway", {kKey});
  const MeshAuth orders("orders", {kKey});
  const std::string c = gateway.sign("POST", "/api/orders?x=1", kAlice);
  CHECK(c.rfind("v1.gateway.", 0) == 0);
  CHECK(orders.verify(c, "POST", "/api/orders?x=1", kAlice) == "gateway");
  // The verifier's own name does not matter: the caller is the signer.
  CHECK(MeshAuth("stock", {kKey}).verify(c, "POST", "/api/orders?x=1", kAlice) == "gateway");
  // Written straight into a head: the same credential after what was there.
  std::string head = "X-Mesh-Auth: ";
  gateway.append_signature(head, "POST", "/api/orders?x=1", kAlice);
  REQUIRE(head.rfind("X-Mesh-Auth: v1.gateway.", 0) == 0);
  CHECK(orders.verify(std::string_view(head).substr(13), "POST", "/api/orders?x=1", kAlice) == "gateway");
  CHECK_FALSE(orders.verify(std::string_view(head).substr(13), "POST", "/api/orders?x=2", kAlice));
}

TEST_CASE("mesh auth: any change to what it binds is refused", "[mesh]") {
  const MeshAuth mesh("gateway", {kKey});
  const std::string c = mesh.sign("POST", "/api/orders", kAlice);
  CHECK_FALSE(mesh.verify(c, "GET", "/api/orders", kAlice));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders/", kAlice));
  CHECK_FALSE(mesh.verify(c, "POST", "/internal/stock/x/adjust", kAlice));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders", {"u-2", "USER", "alice@example.com", "s-1"}));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders", {"u-1", "ADMIN", "alice@example.com", "s-1"}));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders", {"u-1", "USER", "eve@example.com", "s-1"}));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders", {"u-1", "USER", "alice@example.com", ""}));
  CHECK_FALSE(mesh.verify(c, "POST", "/api/orders", {}));
  // Moving a value from one field to the next changes the message too.
  const std::string shifted = mesh.sign("GET", "/a", {"", "u-1", "", ""});
  CHECK_FALSE(mesh.verify(shifted, "GET", "/a", {"u-1", "", "", ""}));
}

TEST_CASE("mesh auth: a forged, altered or expired credential is refused", "[mesh]") {
  const MeshAuth mesh("gateway", {kKey});
  const std::string c = mesh.sign("GET", "/api/orders", kAlice);
  CHECK_FALSE(MeshAuth("gateway", {kOtherKey}).verify(c, "GET", "/api/orders", kAlice));
  CHECK_FALSE(mesh.verify(MeshAuth("gateway", {kOtherKey}).sign("GET", "/api/orders", kAlice), "GET", "/api/orders",
                          kAlice));
  std::string renamed = c;
  renamed.replace(3, 7, "ordersx");  // "gateway" -> another caller, same length
  CHECK_FALSE(mesh.verify(renamed, "GET", "/api/orders", kAlice));
  std::string flipped = c;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(mesh.verify(flipped, "GET", "/api/orders", kAlice));
  for (const char* junk : {"", "v1", "v1.gateway", "v1.gateway.1", "v2.gateway.9999999999.x", "v1.Gate way.1.x",
                           "v1.gateway.-5.abc", "v1.gateway.12a.abc", "v1.gateway.1.", "Bearer abc"})
    CHECK_FALSE(mesh.verify(junk, "GET", "/api/orders", kAlice));
  // Expired a second ago, or valid for longer than a verifier accepts.
  CHECK_FALSE(mesh.verify(mesh.sign("GET", "/a", {}, std::chrono::seconds(-1)), "GET", "/a", {}));
  CHECK(mesh.verify(mesh.sign("GET", "/a", {}, MeshAuth::kMaxLifetime), "GET", "/a", {}));
  CHECK_FALSE(mesh.verify(mesh.sign("GET", "/a", {}, MeshAuth::kMaxLifetime + std::chrono::seconds(5)), "GET", "/a", {}));
}

TEST_CASE("mesh auth: keys rotate by listing the new one first", "[mesh]") {
  const MeshAuth old_signer("auth", {kKey});
  const MeshAuth rotating("users", {kOtherKey, kKey});
  const MeshAuth new_only("users", {kOtherKey});
  const std::string old_credential = old_signer.sign("POST", "/internal/users", {});
  CHECK(rotating.verify(old_credential, "POST", "/internal/users", {}) == "auth");
  CHECK_FALSE(new_only.verify(old_credential, "POST", "/internal/users", {}));
  CHECK(new_only.verify(rotating.sign("GET", "/x", {}), "GET", "/x", {}) == "users");
}

TEST_CASE("mesh auth: short keys, no keys and bad caller names are refused at construction", "[mesh]") {
  CHECK_THROWS_AS(MeshAuth("gateway", {}), std::invalid_argument);
  CHECK_THROWS_AS(MeshAuth("gateway", {"too-short"}), std::invalid_argument);
  CHECK_THROWS_AS(MeshAuth("Gateway", {kKey}), std::invalid_argument);
  CHECK_THROWS_AS(MeshAuth("a.b", {kKey}), std::invalid_argument);
}

TEST_CASE("mesh auth: the identity bound is read from the request's headers, whatever their case", "[mesh]") {
  Headers h;
  h.add("x-user-id", "u-1");
  h.add("X-USER-ROLE", "USER");
  h.add("X-User-Email", "alice@example.com");
  h.add("x-session-id", "s-1");
  const auto id = MeshIdentity::of(h);
  CHECK(id.user_id == "u-1");
  CHECK(id.role == "USER");
  CHECK(id.email == "alice@example.com");
  CHECK(id.session_id == "s-1");
  CHECK(h.count("X-User-Id") == 1);
  h.add("X-User-Id", "u-2");
  CHECK(h.count("x-user-id") == 2);
}

TEST_CASE("mesh auth: the MAC is HMAC-SHA256 over the documented message, for short and long keys", "[mesh]") {
  // v1.<caller>.<expires>.<base64url(HMAC-SHA256(key, "v1\ncaller\nexpires\nmethod\ntarget\nuser\nrole\nemail\n
  // session\n"))>, checked against OpenSSL's one-shot HMAC; a key longer than SHA-256's 64-byte block is
  // hashed first (RFC 2104), which the one-shot does too.
  for (const std::string& key : {kKey, std::string(100, 'k') + kKey}) {
    const MeshAuth mesh("gateway", {key});
    const std::string c = mesh.sign("GET", "/api/orders/o-1?x=1", kAlice);
    const auto last_dot = c.rfind('.');
    const std::string head = c.substr(0, last_dot);  // v1.gateway.<expires>
    const std::string expires = head.substr(head.rfind('.') + 1);
    const std::string message =
        "v1\ngateway\n" + expires + "\nGET\n/api/orders/o-1?x=1\nu-1\nUSER\nalice@example.com\ns-1\n";
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length) != nullptr);
    CHECK(c.substr(last_dot + 1) ==
          shopmesh::core::jwt::base64url_encode(std::string_view(reinterpret_cast<const char*>(out), length)));
    CHECK(mesh.verify(c, "GET", "/api/orders/o-1?x=1", kAlice) == "gateway");
  }
}
