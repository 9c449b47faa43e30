#include "shopmesh/gateway/plain_head.hpp"

#include "shopmesh/core/text.hpp"

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

// What the gateway reads of an answer head it keeps as bytes.
class AnswerFacts final : public core::FieldSink {
 public:
  bool field(http::field known, std::string_view name, std::string_view value) override {
    if (is_hop_by_hop(known)) {
      hop_by_hop = true;
    } else if (known == http::field::unknown && core::iequals(name, "x-request-id")) {
      ++request_ids;
      request_id = value;
    } else if (known == http::field::date) {
      date = true;
    }
    return true;
  }

  bool hop_by_hop = false;
  bool date = false;
  int request_ids = 0;
  std::string_view request_id;
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

PlainHead parse_plain_answer(std::string_view bytes, std::size_t header_limit, std::uint64_t body_limit,
                             http::response<http::string_body>& out, UpstreamAnswer& answer, bool& kept) {
  core::StatusLine start;
  AnswerFacts facts;
  std::uint64_t body_length = 0;
  const PlainHead head = core::parse_plain_status(bytes, header_limit, false, body_limit, start, facts, body_length);
  kept = false;
  if (head.state != PlainHead::State::parsed) return head;
  out.result(start.status);
  out.version(start.version);
  out.reason({start.reason.data(), start.reason.size()});
  if (start.version != 11 || facts.hop_by_hop) return head;
  kept = true;
  answer.head.assign(bytes.data(), head.length);
  answer.status = start.status;
  answer.body_length = body_length;
  answer.request_id_at = facts.request_ids == 1 ? static_cast<std::size_t>(facts.request_id.data() - bytes.data()) : 0;
  answer.request_id_size = facts.request_ids == 1 ? facts.request_id.size() : 0;
  answer.date = facts.date;
  return head;
}

}  // namespace shopmesh::gateway
