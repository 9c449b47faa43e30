#include "shopmesh/core/plain_head.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace shopmesh::core {
namespace http = boost::beast::http;
namespace {

// RFC 9110 tchar, as Beast's parser accepts in methods and field names.
constexpr auto kToken = byte_set(kDigitChars, kLowerChars, kUpperChars, "!#$%&'*+-.^_`|~");

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool is_visible_byte(unsigned char c) { return c - 0x21u <= 0x7Eu - 0x21u; }
bool is_value_byte(unsigned char c) { return (c >= 0x20 && c < 0x7F) || c == '\t'; }

#if defined(__SSE2__)
// The lanes of `v` (a bit each) that are not printable ASCII, or with `tab_ok` neither SP nor HTAB: a
// signed compare below the lowest allowed byte also catches 0x80-0xFF.
int bad_lanes(__m128i v, bool tab_ok) {
  const __m128i low = _mm_cmplt_epi8(v, _mm_set1_epi8(tab_ok ? 0x20 : 0x21));
  const __m128i bad = _mm_or_si128(tab_ok ? _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), low) : low,
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
  return _mm_movemask_epi8(bad);
}
#endif

// Whether every byte of `s` passes `ok`: sixteen at a time where SSE2 is there (every x86-64), the
// last sixteen (or eight) loaded again over the ones before rather than checked byte by byte.
template <bool TabOk, bool (*Ok)(unsigned char)>
bool all_bytes(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
#if defined(__SSE2__)
  const auto load16 = [](const char* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  const auto load8 = [](const char* at) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(at)); };
  if (n >= 16) {
    for (; n > 16; p += 16, n -= 16)
      if (bad_lanes(load16(p), TabOk) != 0) return false;
    return bad_lanes(load16(p + n - 16), TabOk) == 0;
  }
  if (n >= 8) return (bad_lanes(load8(p), TabOk) & 0xFF) == 0 && (bad_lanes(load8(p + n - 8), TabOk) & 0xFF) == 0;
#endif
  for (; n > 0; ++p, --n)
    if (!Ok(static_cast<unsigned char>(*p))) return false;
  return true;
}

// Every byte printable ASCII (0x21-0x7E): a target. Beast also takes obs-text; the fast path does not.
bool is_visible(std::string_view s) { return all_bytes<false, is_visible_byte>(s); }

// Every byte SP, HTAB or printable ASCII: a field value (no CTL, no DEL, no obs-text).
bool is_value_text(std::string_view s) { return all_bytes<true, is_value_byte>(s); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// The next line from `p`, without its CRLF: false when it has not all arrived (`incomplete`) or does
// not end in CRLF.
struct Lines {
  const char* p;
  const char* end;
  bool incomplete = false;

  bool next(std::string_view& line) {
    const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (lf == nullptr) {
      incomplete = true;
      return false;
    }
    if (lf == p || lf[-1] != '\r') return false;
    line = {p, static_cast<std::size_t>(lf - 1 - p)};
    p = lf + 1;
    return true;
  }
};

// What a field means to the fast path.
enum class FieldUse { plain, content_length, decline };

// Fields whose meaning Beast's parser reads (framing, upgrade, connection options): only the plain
// Connection values are taken here; a Content-Length is for the caller to decide.
FieldUse use_of(http::field f, std::string_view value) {
  using http::field;
  switch (f) {
    case field::content_length:
      return FieldUse::content_length;
    case field::transfer_encoding:
    case field::upgrade:
    case field::proxy_connection:
      return FieldUse::decline;
    case field::connection:
      return boost::beast::iequals(value, "keep-alive") || boost::beast::iequals(value, "close") ? FieldUse::plain
                                                                                                 : FieldUse::decline;
    default:
      return FieldUse::plain;
  }
}

// The field lines up to and with the blank line, each given to `sink`. `content_length` is set from
// the one Content-Length of digits a head may have (nullptr: a head with one is declined).
bool read_fields(Lines& lines, FieldSink& sink, std::optional<std::uint64_t>* content_length) {
  std::string_view line;
  for (;;) {
    if (!lines.next(line)) return false;
    if (line.empty()) return true;  // the blank line: the head is whole
    // The name: token characters up to the colon.
    std::size_t colon = 0;
    while (colon < line.size() && kToken[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    if (!is_value_text(value)) return false;
    const std::string_view name = line.substr(0, colon);
    const auto f = http::string_to_field({name.data(), name.size()});
    switch (use_of(f, value)) {
      case FieldUse::plain:
        break;
      case FieldUse::decline:
        return false;
      case FieldUse::content_length: {
        if (content_length == nullptr || content_length->has_value() || value.empty() || value.size() > 18)
          return false;
        std::uint64_t n = 0;
        for (char c : value) {
          if (c < '0' || c > '9') return false;
          n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        *content_length = n;
        break;
      }
    }
    if (!sink.field(f, name, value)) return false;
  }
}

PlainHead finish(const Lines& lines, bool whole, std::string_view bytes, std::size_t header_limit) {
  using State = PlainHead::State;
  if (!whole) return {lines.incomplete && bytes.size() < header_limit ? State::incomplete : State::declined, 0};
  const auto length = static_cast<std::size_t>(lines.p - bytes.data());
  if (length >= header_limit) return {State::declined, 0};
  return {State::parsed, length};
}

}  // namespace

bool head_ended(std::string_view bytes, std::size_t& searched) {
  const std::size_t from = searched > 3 ? searched - 3 : 0;
  searched = bytes.size();
  return from < bytes.size() && bytes.find("\r\n\r\n", from) != std::string_view::npos;
}

bool parse_due(std::string_view bytes, std::size_t header_limit, std::size_t& searched) {
  if (searched == 0) {
    // The first look parses whatever came: a parse that then wants more has met no blank line in
    // these bytes, so the next search starts where they end.
    searched = bytes.size();
    return true;
  }
  return head_ended(bytes, searched) || bytes.size() >= header_limit;
}

PlainHead parse_plain_request(std::string_view bytes, std::size_t header_limit, RequestLine& start, FieldSink& fields,
                              std::optional<std::uint64_t>* content_length) {
  // request-line = method SP origin-form SP HTTP-version
  Lines lines{bytes.data(), bytes.data() + bytes.size()};
  std::string_view line;
  if (!lines.next(line)) return finish(lines, false, bytes, header_limit);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return finish(lines, false, bytes, header_limit);
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || target.front() != '/' || !is_visible(target) ||
      (version != "HTTP/1.1" && version != "HTTP/1.0"))
    return finish(lines, false, bytes, header_limit);
  start = {method, target, version == "HTTP/1.1" ? 11u : 10u};
  return finish(lines, read_fields(lines, fields, content_length), bytes, header_limit);
}

namespace {

// A plain head's fields for a service's Request, as views into the head (Headers::assign copies
// them). The connection's fate is read from its one Connection field (use_of takes only
// "keep-alive" and "close"); a second one is left to Beast.
class IntoRequest final : public FieldSink {
 public:
  explicit IntoRequest(std::vector<Headers::Field>& fields) : fields_(fields) { fields_.clear(); }
  bool field(http::field known, std::string_view name, std::string_view value) override {
    if (known == http::field::connection) {
      if (connection_) return false;
      connection_ = iequals(value, "close") ? Fate::close : Fate::keep_alive;
    }
    fields_.emplace_back(name, value);
    return true;
  }
  /// The fields read, views into the head's bytes.
  const std::vector<Headers::Field>& fields() const { return fields_; }
  /// As Beast's message::keep_alive(): HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive".
  bool keep_alive(unsigned version) const {
    return version >= 11 ? connection_ != Fate::close : connection_ == Fate::keep_alive;
  }

 private:
  enum class Fate { keep_alive, close };
  std::vector<Headers::Field>& fields_;
  std::optional<Fate> connection_;
};

}  // namespace

PlainHead parse_plain_request(std::string_view bytes, std::size_t header_limit, Request& request, bool& keep_alive,
                              std::optional<std::uint64_t>& content_length) {
  request = Request{};
  RequestLine start;
  thread_local std::vector<Headers::Field> read;  // its memory reused: every request's fields pass here
  IntoRequest fields(read);
  content_length.reset();
  const PlainHead head = parse_plain_request(bytes, header_limit, start, fields, &content_length);
  if (head.state == PlainHead::State::parsed) {
    request.method = std::string(start.method);
    request.target = std::string(start.target);
    request.headers.assign(bytes.substr(0, head.length), fields.fields());
    keep_alive = fields.keep_alive(start.version);
  }
  return head;
}

PlainHead parse_plain_status(std::string_view bytes, std::size_t header_limit, bool head_request,
                             std::uint64_t body_limit, StatusLine& start, FieldSink& fields, std::uint64_t& body_length) {
  // status-line = HTTP-version SP 3DIGIT SP reason-phrase
  Lines lines{bytes.data(), bytes.data() + bytes.size()};
  std::string_view line;
  if (!lines.next(line)) return finish(lines, false, bytes, header_limit);
  if (line.size() < 13 || (line.substr(0, 9) != "HTTP/1.1 " && line.substr(0, 9) != "HTTP/1.0 ") || line[12] != ' ')
    return finish(lines, false, bytes, header_limit);
  unsigned status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return finish(lines, false, bytes, header_limit);
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  // Statuses without a body (1xx, 204, 304) and reasons of other than plain text: Beast's.
  const std::string_view reason = line.substr(13);
  if (status < 200 || status > 599 || status == 204 || status == 304 || !is_value_text(reason))
    return finish(lines, false, bytes, header_limit);
  start = {status, line[7] == '1' ? 11u : 10u, reason};
  std::optional<std::uint64_t> length;
  const bool whole = read_fields(lines, fields, &length);
  // Without a Content-Length the body would run to the end of the connection: Beast's.
  if (whole && (!length || *length > body_limit)) return {PlainHead::State::declined, 0};
  body_length = whole && !head_request ? *length : 0;
  return finish(lines, whole, bytes, header_limit);
}

}  // namespace shopmesh::core
