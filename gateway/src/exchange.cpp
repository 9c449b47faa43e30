#include "shopmesh/gateway/exchange.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/gateway/plain_head.hpp"

namespace shopmesh::gateway {

Response problem(http::status status, std::string_view detail, const Exchange& ex,
                 const std::vector<core::FieldError>& errors) {
  const int code = static_cast<int>(status);
  Response res{status, ex.version};
  res.set(http::field::content_type, "application/problem+json");
  res.set(http::field::cache_control, "no-store");
  res.body() = core::problem_json(code, core::reason_phrase(code), detail, ex.path, ex.request_id, errors);
  return res;
}

Response unauthorized(const Exchange& ex, bool token_present, std::string_view reason) {
  std::string_view detail = "Authentication is required: send Authorization: Bearer <access token>.";
  if (token_present) {
    if (reason == "expired")
      detail = "The access token has expired.";
    else if (reason == "revoked")
      detail = "The access token has been revoked.";
    else
      detail = "The access token is invalid.";
  }
  Response res = problem(http::status::unauthorized, detail, ex);
  res.set(http::field::www_authenticate,
          token_present ? R"(Bearer realm="shopmesh", error="invalid_token")" : R"(Bearer realm="shopmesh")");
  return res;
}

std::optional<std::string_view> header_value(const Request& req, http::field f) {
  auto it = req.find(f);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

void read_answer_fields(Response& res, Exchange& ex) {
  if (ex.answer.head.empty()) return;
  Response whole;
  std::uint64_t body_length = 0;
  // The head was read this way once already (UpstreamPool): it parses again, its limits met.
  parse_plain_response_head(ex.answer.head, ex.answer.head.size() + 1, false, ex.answer.body_length, whole,
                            body_length);
  for (const auto& f : res) whole.set(f.name_string(), f.value());
  if (res.result_int() != ex.answer.status) {
    whole.result(res.result_int());
    whole.reason({});
  }
  whole.version(res.version());
  whole.body() = std::move(res.body());
  res = std::move(whole);
  ex.answer = {};
}

void write_answer_head(const Response& res, const Exchange& ex, std::string& out) {
  std::string_view head = ex.answer.head;
  if (res.begin() == res.end()) {
    out.append(head);
    return;
  }
  // Lines as the plain head parser took them: each ends in CRLF, a field's name before its ':'.
  auto line_end = [&head] { return head.find("\r\n") + 2; };
  const std::size_t status_line = line_end();
  out.append(head.substr(0, status_line));
  head.remove_prefix(status_line);
  while (head.size() > 2) {
    const std::size_t n = line_end();
    const std::string_view name = head.substr(0, head.find(':'));
    if (res.find({name.data(), name.size()}) == res.end()) out.append(head.substr(0, n));
    head.remove_prefix(n);
  }
  for (const auto& f : res) {
    out.append(f.name_string().data(), f.name_string().size());
    out.append(": ");
    out.append(f.value().data(), f.value().size());
    out.append("\r\n");
  }
  out.append("\r\n");
}

}  // namespace shopmesh::gateway
