#pragma once
// The fast path for the common HTTP/1.1 head, shared by the gateway and the services' server. Most
// heads are plain: a token method, an origin-form target of visible ASCII, HTTP/1.1 or 1.0, fields of
// visible ASCII, and framing no more than one Content-Length (no Transfer-Encoding or Upgrade); most
// answers are a status line, plain fields and a Content-Length body. Such a head is read here line by
// line (memchr for each line end, sixteen bytes at a time for each value), its start line and fields
// handed over as views into the bytes: the same start line and fields, in order, values trimmed as
// Beast's parser trims them.
//
// Anything else is declined, and Beast's parser then reads the same bytes from the start, so every
// error, refusal, obsolete line folding and other framing stays Beast's. The fast path accepts a
// strict subset of what Beast accepts and reads the same message from it: the gateway_request fuzz
// target checks requests, tests/unit/gateway/test_plain_head.cpp and
// tests/unit/core/test_http_server_head.cpp both kinds and the services' requests, over mutated heads.
#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace shopmesh::core {

struct PlainHead {
  enum class State {
    parsed,      // the head took `length` bytes
    incomplete,  // no blank line yet, and fewer bytes than the header limit: read more, then ask again
    declined,    // not a plain head (or over the limit): Beast's parser reads it
  };
  State state = State::declined;
  std::size_t length = 0;
};

/// Whether a blank line (the end of a head) is in `bytes`, searching only what came after `searched`
/// (less the three bytes a CRLFCRLF may straddle), which is then set to bytes.size(). A reader asks
/// this before parsing again, so that a head trickling in byte by byte costs linear time, not
/// quadratic.
bool head_ended(std::string_view bytes, std::size_t& searched);

/// Whether a reader should parse the head in `bytes` now: at its first look (`searched` 0), once the
/// head has ended (head_ended), or once it holds `header_limit` bytes (the parse then declines, and
/// Beast says why). Sets `searched` to bytes.size().
bool parse_due(std::string_view bytes, std::size_t header_limit, std::size_t& searched);

/// Takes a plain head's fields as they are read (views into the bytes parsed, valid as long as they
/// are). Returning false declines the head. A head declined after some fields were given is read
/// again from the start by Beast: whatever the sink built from it is to be dropped.
class FieldSink {
 public:
  virtual bool field(boost::beast::http::field known, std::string_view name, std::string_view value) = 0;

 protected:
  ~FieldSink() = default;
};

struct RequestLine {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;
};

/// Reads a plain request head from the start of `bytes`. With `content_length` nullptr a head with a
/// Content-Length is declined; otherwise its one Content-Length of digits is set there (the body
/// follows the head, for the caller to read).
PlainHead parse_plain_request(std::string_view bytes, std::size_t header_limit, RequestLine& start,
                              FieldSink& fields, std::optional<std::uint64_t>* content_length = nullptr);

struct Request;

/// A plain request head into a service's Request: method, target and headers (anything else in it is
/// reset), `keep_alive` as Beast's message::keep_alive() says, and the Content-Length of the body to
/// read after the head. A head with more than one Connection field is declined.
PlainHead parse_plain_request(std::string_view bytes, std::size_t header_limit, Request& request, bool& keep_alive,
                              std::optional<std::uint64_t>& content_length);

struct StatusLine {
  unsigned status = 0;
  unsigned version = 11;
  std::string_view reason;
};

/// The same for an answer: a status line of HTTP/1.1 or 1.0, a status of 200-599 but 204 and 304 (a
/// body follows), a plain-text reason, plain fields with exactly one Content-Length of digits, at most
/// `body_limit`. `body_length` is the body to read after the head (0 for the answer to a HEAD, which
/// has none). What Beast would read otherwise (chunked, to the end of the connection, no body) is
/// declined.
PlainHead parse_plain_status(std::string_view bytes, std::size_t header_limit, bool head_request,
                             std::uint64_t body_limit, StatusLine& start, FieldSink& fields,
                             std::uint64_t& body_length);

}  // namespace shopmesh::core
