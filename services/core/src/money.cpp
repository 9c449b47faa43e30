#include "shopmesh/core/money.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace shopmesh::core {

std::optional<Cents> parse_cents(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    i = 1;
  }
  std::int64_t units = 0;
  std::size_t int_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits) {
    if (units > (std::numeric_limits<std::int64_t>::max() / 100 - 9) / 10) return std::nullopt;
    units = units * 10 + (s[i] - '0');
  }
  if (int_digits == 0) return std::nullopt;
  std::int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t frac_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits >= 2) {
        if (s[i] != '0') return std::nullopt;  // 19.990 is fine, 19.999 is not
        continue;
      }
      frac = frac * 10 + (s[i] - '0');
    }
    if (frac_digits == 0) return std::nullopt;
    if (frac_digits == 1) frac *= 10;
  }
  if (i != s.size()) return std::nullopt;
  std::int64_t v = units * 100 + frac;
  return Cents{negative ? -v : v};
}

std::optional<Cents> cents_from_double(double value) {
  if (!std::isfinite(value) || std::fabs(value) > 1e13) return std::nullopt;
  double scaled = value * 100.0;
  double rounded = std::round(scaled);
  // A decimal with two places is within rounding noise of an integer number of cents.
  if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) return std::nullopt;
  return Cents{static_cast<std::int64_t>(rounded)};
}

std::string format_cents(Cents c) {
  std::int64_t v = c.value;
  bool negative = v < 0;
  std::uint64_t a = negative ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%llu.%02llu", negative ? "-" : "", static_cast<unsigned long long>(a / 100),
                static_cast<unsigned long long>(a % 100));
  return buf;
}

}  // namespace shopmesh::core
