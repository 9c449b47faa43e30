#include "shopmesh/gateway/plain_head.hpp"

namespace shopmesh::gateway {
namespace {

// Each field into the message, as Beast's parser inserts it.
template <bool isRequest>
class IntoMessage final : public core::FieldSink {
 public:
  explicit IntoMessage(http::message<isRequest, http::string_body>& out) : out_(out) {}
  bool field(http::field known, std::string_view name, std::string_view value) override {
    out_.insert(known, {name.data(), name.size()}, {value.data(), value.size()});
    return true;
  }

 private:
  http::message<isRequest, http::string_body>& out_;
};

}  // namespace

PlainHead parse_plain_head(std::string_view bytes, std::size_t header_limit, Request& out) {
  core::RequestLine start;
  IntoMessage<true> fields(out);
  const PlainHead head = core::parse_plain_request(bytes, header_limit, start, fields);
  if (head.state == PlainHead::State::parsed) {
    out.method_string({start.method.data(), start.method.size()});
    out.target({start.target.data(), start.target.size()});
    out.version(start.version);
  }
  return head;
}

PlainHead parse_plain_response_head(std::string_view bytes, std::size_t header_limit, bool head_request,
                                    std::uint64_t body_limit, http::response<http::string_body>& out,
                                    std::uint64_t& body_length) {
  core::StatusLine start;
  IntoMessage<false> fields(out);
  const PlainHead head = core::parse_plain_status(bytes, header_limit, head_request, body_limit, start, fields, body_length);
  if (head.state == PlainHead::State::parsed) {
    out.result(start.status);
    out.version(start.version);
    out.reason({start.reason.data(), start.reason.size()});
  }
  return head;
}

}  // namespace shopmesh::gateway
