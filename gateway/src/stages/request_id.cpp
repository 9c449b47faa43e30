#include "shopmesh/gateway/stages/request_id.hpp"

#include "shopmesh/core/clock.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::gateway {

Answer RequestIdStage::request(Request& req, Exchange& ex) {
  const auto rid = req["x-request-id"];
  ex.request_id = core::is_valid_request_id(rid) ? std::string(rid) : core::uuid_v7();
  ex.trace = core::continue_or_start_trace(req["traceparent"]);
  return std::nullopt;
}

void RequestIdStage::response(Response& res, Exchange& ex) {
  const bool kept = !ex.answer.head.empty();  // an upstream's head going out as it came
  // A service answers with the id it was sent, usually: then the field is already right.
  const bool right = kept ? ex.answer.request_id() == ex.request_id
                          : res.count("X-Request-Id") == 1 && res["X-Request-Id"] == ex.request_id;
  if (!right) res.set("X-Request-Id", ex.request_id);
  // RFC 9110 6.6.1: a Date, the upstream's when it sent one.
  if (kept ? !ex.answer.date : res.find(http::field::date) == res.end())
    res.set(http::field::date, core::http_date());
}

}  // namespace shopmesh::gateway
