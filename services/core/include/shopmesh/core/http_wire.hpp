#pragma once
// HTTP/1.1 message heads written by hand into one contiguous buffer: the bytes Beast's serializer
// writes, without its buffer-sequence machinery (a fifth of the gateway's CPU in a profile, and a
// scatter list of several buffers per header field). Include only where Beast is already used.
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <stdexcept>
#include <string>

namespace shopmesh::core::wire {
namespace http = boost::beast::http;

/// Appends the request line, each field and the blank line that ends the head.
void append_head(const http::request_header<>& head, std::string& out);
/// Appends the status line (the reason phrase, or the standard one when it is empty), each field
/// and the blank line.
void append_head(const http::response_header<>& head, std::string& out);

/// A whole message as two buffers: its head, written into `scratch` (kept by the caller, so its
/// capacity is reused), and its body, or no body when `head_only`. The body is sent as it is, so
/// the head must frame it with Content-Length (prepare_payload does for a string body); a HEAD
/// answer's head may say chunked, as the GET answer's would.
template <bool isRequest>
std::array<boost::asio::const_buffer, 2> buffers(const http::message<isRequest, http::string_body>& msg,
                                                 std::string& scratch, bool head_only = false) {
  if (!head_only && msg.chunked()) throw std::invalid_argument("wire::buffers: a chunked message has no fixed body");
  scratch.clear();
  append_head(msg, scratch);
  return {boost::asio::buffer(scratch),
          head_only ? boost::asio::const_buffer() : boost::asio::buffer(msg.body().data(), msg.body().size())};
}

}  // namespace shopmesh::core::wire
