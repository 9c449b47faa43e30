// A JWKS document as a key source may serve it (JWKS_URL): parse_jwks keeps the usable RSA/RS256
// keys and skips the rest; every key it keeps writes a JWK that parses back to the same key.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shopmesh;
  namespace jwt = core::jwt;
  std::vector<jwt::RsaKey> keys;
  try {
    keys = jwt::parse_jwks(fuzz::as_text(data, size));
  } catch (const std::runtime_error&) {
    return 0;  // not a JWKS at all: the client keeps its previous keys
  }
  std::vector<const jwt::RsaKey*> all;
  for (const auto& key : keys) {
    FUZZ_CHECK(!key.kid().empty());
    FUZZ_CHECK(!key.has_private());
    all.push_back(&key);
  }
  const std::string written = jwt::jwks_json(all);
  const auto again = jwt::parse_jwks(written);
  FUZZ_CHECK(again.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    FUZZ_CHECK(again[i].kid() == keys[i].kid());
    FUZZ_CHECK(again[i].public_jwk_json() == keys[i].public_jwk_json());
  }
  return 0;
}
