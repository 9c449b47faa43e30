#include "shopmesh/gateway/plain_head.hpp"

#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/beast/core/string.hpp>

namespace shopmesh::gateway {
namespace {

// RFC 9110 tchar, as Beast's parser accepts in methods and field names.
constexpr std::array<bool, 256> kToken = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  return true;
}

// Every byte printable ASCII (0x21-0x7E): a target. Beast also takes obs-text; the fast path does not.
bool is_visible(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) - 0x21u > 0x7Eu - 0x21u) return false;
  return true;
}

bool is_value_byte(unsigned char c) { return (c >= 0x20 && c < 0x7F) || c == '\t'; }

// Every byte SP, HTAB or printable ASCII: a field value (no CTL, no DEL, no obs-text). Sixteen bytes at
// a time where SSE2 is there (every x86-64): a signed compare below 0x20 also catches 0x80-0xFF.
bool is_value_text(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F), tab = _mm_set1_epi8('\t');
  for (; n >= 16; p += 16, n -= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), _mm_cmplt_epi8(v, space)),
                                     _mm_cmpeq_epi8(v, del));
    if (_mm_movemask_epi8(bad) != 0) return false;
  }
#endif
  for (; n > 0; ++p, --n)
    if (!is_value_byte(static_cast<unsigned char>(*p))) return false;
  return true;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Fields whose meaning Beast's parser reads (framing, upgrade, connection options): only the plain
// Connection values are taken here, the rest go to Beast.
bool needs_beast(boost::beast::http::field f, std::string_view value) {
  using http::field;
  switch (f) {
    case field::content_length:
    case field::transfer_encoding:
    case field::upgrade:
    case field::proxy_connection:
      return true;
    case field::connection:
      return !(boost::beast::iequals(value, "keep-alive") || boost::beast::iequals(value, "close"));
    default:
      return false;
  }
}

}  // namespace

PlainHead parse_plain_head(std::string_view bytes, std::size_t header_limit, Request& out) {
  using State = PlainHead::State;
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin;
  // The next line, without its CRLF; false when it has not all arrived (or is not CRLF-terminated).
  bool incomplete = false;
  auto next_line = [&](std::string_view& line) {
    const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (lf == nullptr) {
      incomplete = true;
      return false;
    }
    if (lf == p || lf[-1] != '\r') return false;
    line = {p, static_cast<std::size_t>(lf - 1 - p)};
    p = lf + 1;
    return true;
  };
  const auto give_up = [&] {
    const bool more = incomplete && bytes.size() < header_limit;
    return PlainHead{more ? State::incomplete : State::declined, 0};
  };

  // request-line = method SP origin-form SP HTTP-version
  std::string_view line;
  if (!next_line(line)) return give_up();
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return give_up();
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || target.front() != '/' || !is_visible(target)) return give_up();
  unsigned minor = 0;
  if (version == "HTTP/1.1")
    minor = 1;
  else if (version != "HTTP/1.0")
    return give_up();

  out.method_string({method.data(), method.size()});
  out.target({target.data(), target.size()});
  out.version(10 + minor);
  for (;;) {
    if (!next_line(line)) return give_up();
    if (line.empty()) break;  // the blank line: the head is whole
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return give_up();
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    if (!is_value_text(value)) return give_up();
    const std::string_view name = line.substr(0, colon);
    const auto f = http::string_to_field({name.data(), name.size()});
    if (needs_beast(f, value)) return give_up();
    out.insert(f, {name.data(), name.size()}, {value.data(), value.size()});
  }
  const auto length = static_cast<std::size_t>(p - begin);
  if (length >= header_limit) return {State::declined, 0};
  return {State::parsed, length};
}

}  // namespace shopmesh::gateway
