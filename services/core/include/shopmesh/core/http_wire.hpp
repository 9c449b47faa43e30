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

namespace shopmesh::core {
class Headers;
}

namespace shopmesh::core::wire {
namespace http = boost::beast::http;

/// Appends the request line, each field and the blank line that ends the head.
void append_head(const http::request_header<>& head, std::string& out);
/// Appends the status line (the reason phrase, or the standard one when it is empty), each field
/// and the blank line.
void append_head(const http::response_header<>& head, std::string& out);

/// What a service answers, as its head is written: the fields the server adds, then the handler's.
struct AnswerHead {
  int status = 200;
  std::string_view content_type;  // none when empty
  std::string_view request_id;
  std::string_view date;  // IMF-fixdate
  bool keep_alive = true;
  std::size_t body_size = 0;  // the Content-Length stated (a HEAD answer states the GET answer's)
};

/// Appends a service's answer head: the status line, Server, Date, Content-Type and X-Request-Id
/// unless `fields` (the handler's) has one of that name, then `fields` but any framing field,
/// Connection: close unless kept alive, and Content-Length. The fields a Beast message would carry
/// after set() of each, keep_alive() and prepare_payload(), without building one; but no
/// Content-Length on a 1xx, 204 or 304, where Beast's says 0 (RFC 9110 8.6 forbids it on 1xx and
/// 204; on a 304 it would state the length of a representation the answer does not have).
void append_answer_head(const AnswerHead& answer, const Headers& fields, std::string& out);

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
