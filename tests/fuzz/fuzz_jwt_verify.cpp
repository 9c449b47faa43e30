// A bearer token, as any client may send it, verified (RS256) against the fuzz JWKS: the header,
// kid lookup, signature and claims checks of services/core jwt, and strict base64url.
#include <cstdint>

#include "fuzz_support.hpp"

namespace {

using namespace shopmesh;
namespace jwt = core::jwt;

// Each accepted base64url text has exactly one encoding: decoding and encoding again gives it back.
void check_base64url(std::string_view text) {
  if (const auto bytes = jwt::base64url_decode(text)) FUZZ_CHECK(jwt::base64url_encode(*bytes) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto keys = fuzz::verification_keys();
  static const auto options = fuzz::verify_options();
  const std::string_view token = fuzz::as_text(data, size);

  const auto result = jwt::verify(token, keys, options, fuzz::now());
  if (result.claims) {
    // Only the fuzz key signs, so an accepted token is one of its signatures over these very bytes.
    const auto& c = *result.claims;
    FUZZ_CHECK(result.kid == "fuzz-2026-01");
    FUZZ_CHECK(!c.sub.empty());
    FUZZ_CHECK(c.iss == options.issuer);
    FUZZ_CHECK(c.aud == options.audience);
    FUZZ_CHECK(fuzz::kNowS < c.exp + options.leeway.count());
    FUZZ_CHECK(c.nbf == 0 || c.nbf <= fuzz::kNowS + options.leeway.count());
    FUZZ_CHECK(token.size() <= options.max_token_bytes);
  }
  std::string_view rest = token;
  for (int part = 0; part < 3; ++part) {
    const auto dot = rest.find('.');
    check_base64url(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return 0;
}
