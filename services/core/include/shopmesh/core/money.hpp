#pragma once
// Exact money: integer cents, parsed from and written as JSON numbers with at most two decimals.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::core {

/// An amount of money in cents. Never a floating-point value.
struct Cents {
  std::int64_t value = 0;
  auto operator<=>(const Cents&) const = default;
  Cents operator+(Cents o) const { return {value + o.value}; }
  Cents operator*(std::int64_t n) const { return {value * n}; }
};

/// Parses the literal text of a JSON number ("19.99", "20", "1e2" is rejected) into cents;
/// nullopt when it has more than two decimals, an exponent, or does not fit.
std::optional<Cents> parse_cents(std::string_view number_text);
/// Converts a parsed JSON number to cents; nullopt when it carries more than two decimals.
std::optional<Cents> cents_from_double(double value);
/// Formats cents as a JSON number literal: 1999 -> "19.99", 2000 -> "20.00".
std::string format_cents(Cents c);

}  // namespace shopmesh::core
