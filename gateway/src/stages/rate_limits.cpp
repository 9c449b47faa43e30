#include "shopmesh/gateway/stages/rate_limits.hpp"

#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

Response too_many_requests(const Exchange& ex, std::uint32_t retry_after_s) {
  Response res = problem(http::status::too_many_requests, "Too many requests: slow down and retry later.", ex);
  res.set(http::field::retry_after, std::to_string(retry_after_s));
  return res;
}

Answer AddressRateLimitStage::request(Request&, Exchange& ex) {
  const int cls = ex.route ? route_classes_.at(ex.route->index) : -1;
  if (cls < 0) return std::nullopt;
  ex.rate = limiter_.check(cls, ex.rate_key, ex.started);
  if (ex.rate.allowed) return std::nullopt;
  metrics_.rate_limited(static_cast<std::size_t>(cls));
  return too_many_requests(ex, ex.rate.retry_after_s);
}

void AddressRateLimitStage::response(Response& res, Exchange& ex) {
  if (!ex.rate.enabled) return;
  res.set("RateLimit-Limit", std::to_string(ex.rate.limit));
  res.set("RateLimit-Remaining", std::to_string(ex.rate.remaining));
  res.set("RateLimit-Reset", std::to_string(ex.rate.reset_s));
}

Answer UserRateLimitStage::request(Request&, Exchange& ex) {
  if (!ex.identity || user_class_ < 0) return std::nullopt;
  auto d = limiter_.check(user_class_, ex.identity->user_id, ex.started);
  if (d.enabled && (!ex.rate.enabled || !d.allowed || d.remaining < ex.rate.remaining)) ex.rate = d;
  if (d.allowed) return std::nullopt;
  metrics_.rate_limited(static_cast<std::size_t>(user_class_));
  return too_many_requests(ex, d.retry_after_s);
}

}  // namespace shopmesh::gateway
