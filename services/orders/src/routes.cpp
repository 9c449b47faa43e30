#include "shopmesh/orders/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/orders/ordering.hpp"
#include "shopmesh/orders/store.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::orders {
namespace {

using core::Request;
using core::Response;

Caller identity_of(const Request& req) {
  core::Caller c = core::require_caller(req);
  return {std::move(c.user_id), c.admin()};
}

std::string order_id(const Request& req) {
  const auto& id = req.param("id");
  if (!core::is_uuid(id)) throw core::not_found("No order with this id.");
  return core::ascii_lower(id);
}

events::EventContext context_of(const Request& req) {
  return {req.request_id, "", req.traceparent};
}

Response order_response(int status, const Order& o) {
  auto r = Response::json(status, order_json(o));
  r.headers.set("Location", "/api/orders/" + o.id);
  return r;
}

Response change_response(const OrderStore::Change& change, std::string_view action) {
  switch (change.outcome) {
    case OrderStore::Outcome::changed:
      return Response::json(200, order_json(*change.order));
    case OrderStore::Outcome::not_found:
      throw core::not_found("No order with this id.");
    case OrderStore::Outcome::wrong_status:
      throw core::conflict("An order in status " + std::string(to_string(change.current)) + " cannot be " +
                           std::string(action) + ".");
  }
  throw core::not_found("No order with this id.");
}

}  // namespace

void register_routes(core::Router& router, OrderStore& store, Ordering& ordering) {
  // 201 for a new order; a replay (same Idempotency-Key, same body) answers 200 with the order
  // as it is now and `Idempotent-Replayed: true`.
  router.add("POST", "/api/orders", [&ordering](Request& req) {
    const Caller caller = identity_of(req);
    std::optional<std::string> key;
    if (auto k = req.headers.get("Idempotency-Key")) key = std::string(*k);
    auto placed = ordering.place(caller.user_id, req.body, key, {req.request_id, req.traceparent}, context_of(req));
    auto r = order_response(placed.replayed ? 200 : 201, placed.order);
    if (placed.replayed) r.headers.set("Idempotent-Replayed", "true");
    return r;
  });
  router.add("GET", "/api/orders", [&store](Request& req) {
    const Caller caller = identity_of(req);
    const auto query = parse_list_query([&req](std::string_view name) { return req.query_param(name); });
    if (!caller.admin && query.user_id && *query.user_id != caller.user_id)
      throw core::forbidden("Only administrators can list other users' orders.");
    return Response::json(200, page_json(store.list(query, caller)));
  });
  router.add("GET", "/api/orders/{id}", [&store](Request& req) {
    const Caller caller = identity_of(req);
    auto order = store.find(order_id(req), caller);
    if (!order) throw core::not_found("No order with this id.");
    return Response::json(200, order_json(*order));
  });
  auto cancel = [&store](Request& req) {
    const Caller caller = identity_of(req);
    return change_response(store.cancel(order_id(req), caller, context_of(req)), "cancelled");
  };
  router.add("POST", "/api/orders/{id}/cancel", cancel);
  router.add("DELETE", "/api/orders/{id}", cancel);
  router.add("PATCH", "/api/orders/{id}/status", [&store](Request& req) {
    const Caller caller = identity_of(req);
    if (!caller.admin) throw core::forbidden("Only administrators can change an order's status.");
    const auto id = order_id(req);
    const OrderStatus to = parse_status_change(req.body);
    // CANCELLED is the cancel use case (stock released, shipment stopped), whichever route asks.
    if (to == OrderStatus::cancelled) return change_response(store.cancel(id, caller, context_of(req)), "cancelled");
    return change_response(store.move(id, to, context_of(req)), "moved to " + std::string(to_string(to)));
  });
}

}  // namespace shopmesh::orders
