#include "shopmesh/core/trace.hpp"

#include "shopmesh/core/text.hpp"

#include <algorithm>
#include <random>

namespace shopmesh::core {
namespace {

constexpr auto kLowerHex = byte_set(kDigitChars, "abcdef");

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!kLowerHex[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool all_zero(std::string_view s) {
  for (char c : s)
    if (c != '0') return false;
  return true;
}

// Fills `out` with random lower-case hex digits, not all zero (W3C: an all-zero id is invalid).
void random_hex(char* out, std::size_t chars) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < chars;) {
    auto v = rng();
    for (int k = 0; k < 16 && i < chars; ++k, ++i, v >>= 4) out[i] = hex[v & 0xf];
  }
  if (all_zero({out, chars})) out[chars - 1] = '1';
}

}  // namespace

bool is_valid_traceparent(std::string_view in) {
  // version(2)-trace-id(32)-parent-id(16)-flags(2)
  return in.size() >= 55 && in[2] == '-' && in[35] == '-' && in[52] == '-' && is_lower_hex(in.substr(0, 2)) &&
         in.substr(0, 2) != "ff" && is_lower_hex(in.substr(3, 32)) && !all_zero(in.substr(3, 32)) &&
         is_lower_hex(in.substr(36, 16)) && !all_zero(in.substr(36, 16)) && is_lower_hex(in.substr(53, 2)) &&
         (in.size() == 55 || (in.substr(0, 2) != "00" && in[55] == '-'));
}

TraceContext continue_or_start_trace(std::string_view in) {
  // "00-" trace-id(32) "-" parent-id(16: our span, new) "-" flags(2), written in place.
  TraceContext ctx;
  ctx.traceparent.assign("00-................................-................-01");
  char* p = ctx.traceparent.data();
  if (is_valid_traceparent(in)) {
    std::copy_n(in.data() + 3, 32, p + 3);
    std::copy_n(in.data() + 53, 2, p + 53);
  } else {
    random_hex(p + 3, 32);
  }
  random_hex(p + 36, 16);
  return ctx;
}

}  // namespace shopmesh::core
