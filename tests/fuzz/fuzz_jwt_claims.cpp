// Token headers and claims that pass the signature check: the input is "<header JSON>\n<payload
// JSON>" (or only a payload, under a valid RS256 header), signed with the fuzz key and verified, so
// the claim parsing behind the signature gets fuzzed too — what a leaked or misused signing key, or
// a buggy issuer, would feed the gateway.
#include <rapidjson/document.h>

#include <cstdint>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shopmesh;
  namespace jwt = core::jwt;
  static const auto keys = fuzz::verification_keys();
  static const auto options = fuzz::verify_options();
  const std::string_view input = fuzz::as_text(data, size);
  if (input.size() > options.max_token_bytes / 2) return 0;  // signed, it would be refused unparsed

  std::string_view header = R"({"alg":"RS256","typ":"JWT","kid":"fuzz-2026-01"})";
  std::string_view payload = input;
  if (const auto newline = input.find('\n'); newline != std::string_view::npos) {
    header = input.substr(0, newline);
    payload = input.substr(newline + 1);
  }
  const std::string token = jwt::sign_raw(header, payload, fuzz::signing_key());
  const auto result = jwt::verify(token, keys, options, fuzz::now());
  if (!result.claims) return 0;

  // Accepted: the header said RS256 with our kid, and the claims are the ones the options demand.
  rapidjson::Document h;
  h.Parse<rapidjson::kParseIterativeFlag>(header.data(), header.size());
  FUZZ_CHECK(!h.HasParseError() && h.IsObject());
  FUZZ_CHECK(h.HasMember("alg") && h["alg"].IsString() && std::string_view(h["alg"].GetString()) == "RS256");
  FUZZ_CHECK(!h.HasMember("crit"));
  const auto& c = *result.claims;
  FUZZ_CHECK(!c.sub.empty());
  FUZZ_CHECK(c.iss == options.issuer);
  FUZZ_CHECK(c.aud == options.audience);
  FUZZ_CHECK(fuzz::kNowS < c.exp + options.leeway.count());
  FUZZ_CHECK(c.iat >= 0 && c.nbf >= 0);
  return 0;
}
