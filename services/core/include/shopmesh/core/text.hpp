#pragma once
// Text helpers shared by every layer: UTF-8 validation, ASCII case and blanks, percent-decoding.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::core {

inline constexpr std::string_view kDigitChars = "0123456789";
inline constexpr std::string_view kLowerChars = "abcdefghijklmnopqrstuvwxyz";
inline constexpr std::string_view kUpperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The bytes of `parts` as a table, for checking text one lookup a byte: byte_set(kDigitChars, "abcdef").
template <class... Parts>
constexpr std::array<bool, 256> byte_set(Parts... parts) {
  std::array<bool, 256> table{};
  for (std::string_view part : {std::string_view(parts)...})
    for (char c : part) table[static_cast<unsigned char>(c)] = true;
  return table;
}

/// Number of code points of well-formed UTF-8 text (no overlong forms, surrogates or code points
/// past U+10FFFF); nullopt when the bytes are not.
std::optional<std::size_t> utf8_length(std::string_view text);
/// Whether `text` is well-formed UTF-8 (utf8_length has a value).
bool is_valid_utf8(std::string_view text);
/// ASCII case-insensitive equality (header names, schemes, tokens); other bytes compare as they are.
/// Inline: a header look-up compares a name with every field's, and most differ in length.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}
/// ASCII lower case (identifiers, UUIDs, header values); other bytes are left as they are.
std::string ascii_lower(std::string text);
/// `text` without leading and trailing ASCII whitespace (space, \t, \n, \r, \f, \v).
std::string trim(std::string_view text);
/// Percent-decodes text; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
/// Whether every '%' in `text` begins an escape of two hex digits: whether percent_decode takes it.
bool is_percent_encoded(std::string_view text);

/// Calls f(segment) for each non-empty segment of a '/'-separated path, in order; stops early, and
/// returns false, when f returns false.
template <class F>
bool for_each_path_segment(std::string_view path, F&& f) {
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (!f(path.substr(i, j - i))) return false;
    i = j;
  }
  return true;
}

}  // namespace shopmesh::core
