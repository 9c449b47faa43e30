#pragma once
// The fast path for the common request head, and for the common answer from an upstream. Most
// requests a gateway sees are plain: a token method, an origin-form target of visible ASCII, HTTP/1.1
// or 1.0, fields of visible ASCII, and no body (no Content-Length, Transfer-Encoding or Upgrade); most
// answers are a status line, plain fields and a Content-Length body. Such a head is read here line by
// line (memchr for each line end, sixteen bytes at a time for each value) into the message Beast's
// parser would build from it: the same start line and fields, in order, values trimmed as Beast trims
// them.
//
// Anything else is declined, and Beast's parser then reads the same bytes from the start, so every
// error, refusal, obsolete line folding and other framing stays Beast's. The fast path accepts a
// strict subset of what Beast accepts and builds the same message from it: the gateway_request fuzz
// target checks requests, tests/unit/gateway/test_plain_head.cpp both kinds, over mutated heads.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shopmesh/gateway/http_rules.hpp"

namespace shopmesh::gateway {

struct PlainHead {
  enum class State {
    parsed,      // `out` holds the request; the head took `length` bytes
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

/// Reads a plain request head from the start of `bytes` into `out` (a fresh message).
PlainHead parse_plain_head(std::string_view bytes, std::size_t header_limit, Request& out);

/// The same for an upstream's answer: a status line of HTTP/1.1 or 1.0, a status of 200-599 but 204
/// and 304 (a body follows), a plain-text reason, plain fields with exactly one Content-Length of
/// digits, at most `body_limit`. `body_length` is the body to read after the head (0 for the answer to
/// a HEAD, which has none). What Beast would read otherwise (chunked, to the end of the connection, no
/// body) is declined.
PlainHead parse_plain_response_head(std::string_view bytes, std::size_t header_limit, bool head_request,
                                    std::uint64_t body_limit, http::response<http::string_body>& out,
                                    std::uint64_t& body_length);

}  // namespace shopmesh::gateway
