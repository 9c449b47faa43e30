#include "shopmesh/codegen/names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace shopmesh::codegen {
namespace {

constexpr std::array<std::string_view, 97> kKeywords = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char",
    "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr", "constinit",
    "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete", "do", "double",
    "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or",
    "or_eq", "private", "protected", "public", "register", "reinterpret_cast", "requires", "return", "short",
    "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch", "template", "this",
    "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual",
    "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "final", "override", "import", "module", "errno"};

bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }
bool is_lower(char c) { return std::islower(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
char to_upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
char to_lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// UPPER_SNAKE (or kebab) words -> PascalCase: OUT_OF_STOCK -> OutOfStock.
std::string pascal_from_words(std::string_view text) {
  std::string out;
  bool start = true;
  for (char c : text) {
    if (c == '_' || c == '-' || c == ' ') {
      start = true;
      continue;
    }
    out += start ? to_upper(c) : to_lower(c);
    start = false;
  }
  return out;
}

}  // namespace

std::string struct_name(std::string_view type, int version) {
  return pascal_from_words(type) + "V" + std::to_string(version);
}

std::string file_stem(std::string_view type, int version) {
  std::string out;
  for (char c : type) out += to_lower(c);
  return out + "_v" + std::to_string(version);
}

std::string pascal_case(std::string_view camel) {
  std::string out(camel);
  if (!out.empty()) out[0] = to_upper(out[0]);
  return out;
}

std::string element_name(std::string_view camel) {
  if (camel.size() > 1 && camel.back() == 's' && camel[camel.size() - 2] != 's')
    return pascal_case(camel.substr(0, camel.size() - 1));
  return pascal_case(camel) + "Item";
}

std::string member_name(std::string_view camel) {
  std::string out;
  for (std::size_t i = 0; i < camel.size(); ++i) {
    char c = camel[i];
    // A word starts at an upper-case letter after a lower-case letter or digit, or at the last
    // capital of an acronym followed by lower case (userID -> user_id, HTTPCode -> http_code).
    bool boundary = i > 0 && is_upper(c) &&
                    (is_lower(camel[i - 1]) || is_digit(camel[i - 1]) ||
                     (is_upper(camel[i - 1]) && i + 1 < camel.size() && is_lower(camel[i + 1])));
    if (boundary) out += '_';
    out += to_lower(c);
  }
  if (std::find(kKeywords.begin(), kKeywords.end(), out) != kKeywords.end()) out += '_';
  return out;
}

std::string enumerator_name(std::string_view value) { return "k" + pascal_from_words(value); }

}  // namespace shopmesh::codegen
