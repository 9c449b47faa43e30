#pragma once
// What the fuzz targets share: a check that crashes (so libFuzzer keeps the input), the fixed
// clock and signing key the seed tokens were made with.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "shopmesh/core/jwt.hpp"

/// Aborts with the failed condition: an oracle violation is a finding like any sanitizer report.
#define FUZZ_CHECK(condition)                                                         \
  do {                                                                                \
    if (!(condition)) ::shopmesh::fuzz::check_failed(#condition, __FILE__, __LINE__); \
  } while (false)

namespace shopmesh::fuzz {

[[noreturn]] void check_failed(const char* condition, const char* file, int line);

/// The fuzz input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The instant every target verifies tokens at, 2026-01-01T00:00:00Z: the seed tokens are valid
/// then (tests/fuzz/make_corpus.py), whatever the date of the run.
inline constexpr std::int64_t kNowS = 1'767'225'600;
std::chrono::system_clock::time_point now();

/// The issuer and audience the gateway expects by default; the seed tokens carry them.
core::jwt::VerifyOptions verify_options();

/// The fuzz signing key (tests/fuzz/keys/fuzz_signing_key.pem, kid "fuzz-2026-01"): a test key
/// that signs nothing but fuzz seeds.
const core::jwt::RsaKey& signing_key();
/// The JWKS document of signing_key().
const std::string& jwks_text();
/// The verification keys of jwks_text(), parsed afresh (kid -> key).
std::map<std::string, core::jwt::RsaKey, std::less<>> verification_keys();
}  // namespace shopmesh::fuzz
