#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>

std::string_view fuzz_signing_key_pem();

namespace shopmesh::fuzz {

void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

std::chrono::system_clock::time_point now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(kNowS));
}

core::jwt::VerifyOptions verify_options() {
  core::jwt::VerifyOptions options;
  options.issuer = "shopmesh";
  options.audience = "shopmesh-api";
  return options;
}

const core::jwt::RsaKey& signing_key() {
  static const auto key = core::jwt::RsaKey::from_private_pem("fuzz-2026-01", fuzz_signing_key_pem());
  return key;
}

const std::string& jwks_text() {
  static const std::string text = core::jwt::jwks_json({&signing_key()});
  return text;
}

std::map<std::string, core::jwt::RsaKey, std::less<>> verification_keys() {
  std::map<std::string, core::jwt::RsaKey, std::less<>> keys;
  for (auto& key : core::jwt::parse_jwks(jwks_text())) {
    std::string kid = key.kid();
    keys.emplace(std::move(kid), std::move(key));
  }
  return keys;
}

}  // namespace shopmesh::fuzz
