#include "shopmesh/gateway/exchange.hpp"

#include "shopmesh/core/http.hpp"

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

}  // namespace shopmesh::gateway
