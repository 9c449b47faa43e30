#include "shopmesh/shipping/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/shipping/store.hpp"

namespace shopmesh::shipping {
namespace {

using core::Request;
using core::Response;

struct Caller {
  std::string user_id;
  bool admin = false;
};

Caller caller(const Request& req) {
  core::Caller c = core::require_caller(req);
  return {std::move(c.user_id), c.admin()};
}

Response visible(const Caller& c, const std::optional<Shipment>& s) {
  if (!s || (!c.admin && s->user_id != c.user_id)) throw core::not_found("No shipment with this id.");
  return Response::json(200, shipment_json(*s));
}

}  // namespace

void register_routes(core::Router& router, ShipmentStore& store) {
  router.add("GET", "/api/shipments", [&store](Request& req) {
    const Caller c = caller(req);
    if (auto order_id = req.query_param("orderId")) {
      if (!core::is_uuid(*order_id))
        throw core::invalid("orderId must be a UUID.", {{"orderId", "must be a UUID"}});
      return visible(c, store.find_by_order(core::ascii_lower(*order_id)));
    }
    const auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return Response::json(200, page_json(store.list(query, c.admin ? std::nullopt : std::optional(c.user_id))));
  });
  router.add("GET", "/api/shipments/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    const std::string& id = req.param("id");
    if (!core::is_uuid(id)) throw core::not_found("No shipment with this id.");
    return visible(c, store.find(core::ascii_lower(id)));
  });
}

}  // namespace shopmesh::shipping
