#include "shopmesh/cart/orders_client.hpp"

#include <utility>
#include <vector>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::cart {
namespace {

std::vector<std::pair<std::string, std::string>> identity_headers(const Identity& who) {
  std::vector<std::pair<std::string, std::string>> h{{"X-User-Id", who.user_id}, {"X-Request-Id", who.request_id}};
  if (!who.role.empty()) h.emplace_back("X-User-Role", who.role);
  if (!who.email.empty()) h.emplace_back("X-User-Email", who.email);
  if (!who.session_id.empty()) h.emplace_back("X-Session-Id", who.session_id);
  if (!who.traceparent.empty()) h.emplace_back("traceparent", who.traceparent);
  return h;
}

OrdersAnswer answer_of(const core::HttpResult& r) {
  if (r.status == 0) throw core::Unavailable("orders service unreachable: " + r.error);
  if (r.status >= 500) throw core::Unavailable("orders service answered " + std::to_string(r.status));
  return {r.status, r.body, r.header("content-type"), r.header("location")};
}

}  // namespace

OrdersAnswer HttpOrders::create(const std::string& body, const std::string& idempotency_key, const Identity& who) {
  core::HttpCall call;
  call.method = "POST";
  call.headers = identity_headers(who);
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("Idempotency-Key", idempotency_key);
  call.body = body;
  call.timeout = timeout_;
  call.mesh = &mesh_;
  auto result = peers_.call(call, "/api/orders");
  // No answer: the order may or may not exist. The same key makes the second attempt safe.
  if (result.status == 0) result = peers_.call(call, "/api/orders");
  return answer_of(result);
}

OrdersAnswer HttpOrders::get(const std::string& order_id, const Identity& who) {
  core::HttpCall call;
  call.headers = identity_headers(who);
  call.timeout = timeout_;
  call.mesh = &mesh_;
  return answer_of(peers_.call(call, "/api/orders/" + order_id));
}

}  // namespace shopmesh::cart
