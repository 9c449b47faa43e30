// Signing keys at rest: PKCS#8 PEM encrypted with JWT_KEY_PASSPHRASE, readable only with it.
#include <catch2/catch.hpp>

#include "shopmesh/auth/keys.hpp"

using namespace shopmesh;
using namespace shopmesh::auth;
namespace jwt = shopmesh::core::jwt;

TEST_CASE("auth: private keys round-trip through passphrase encryption", "[auth][keys]") {
  auto key = jwt::RsaKey::generate("kid-1");
  const std::string pem = encrypt_private_pem(key, "s3cret passphrase");
  CHECK(pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos);
  CHECK(pem != key.private_pem());
  auto back = decrypt_private_pem("kid-1", pem, "s3cret passphrase");
  CHECK(back.kid() == "kid-1");
  CHECK(back.has_private());
  CHECK(back.public_jwk_json() == key.public_jwk_json());
  CHECK_THROWS(decrypt_private_pem("kid-1", pem, "wrong passphrase"));
}
