#include "shopmesh/stock/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/stock/store.hpp"

namespace shopmesh::stock {
namespace {

using core::Request;
using core::Response;

// A level is addressed by its product's id; anything else is simply not there.
std::string product_id_of(const Request& req) {
  const std::string& id = req.param("productId");
  if (!core::is_uuid(id)) throw core::not_found("No stock level for this product.");
  return core::ascii_lower(id);
}

void require_admin(const Request& req) {
  core::require_admin(req, "Only administrators can see stock levels.");
}

Response level_response(StockStore& store, const std::string& product_id) {
  auto level = store.find(product_id);
  if (!level) throw core::not_found("No stock level for this product.");
  return Response::json(200, level_json(*level));
}

}  // namespace

void register_routes(core::Router& router, StockStore& store) {
  router.add("GET", "/api/stock/{productId}", [&store](Request& req) {
    require_admin(req);
    return level_response(store, product_id_of(req));
  });
  router.add("GET", "/internal/stock/{productId}",
             [&store](Request& req) { return level_response(store, product_id_of(req)); });
  router.add("POST", "/internal/stock/{productId}/adjust", [&store](Request& req) {
    const std::string product_id = product_id_of(req);
    const Adjustment adjustment = parse_adjustment(req.body);
    const AdjustResult result = store.adjust(product_id, adjustment, {req.request_id, "", req.traceparent});
    switch (result.status) {
      case AdjustResult::Status::not_found:
        throw core::not_found("No stock level for this product.");
      case AdjustResult::Status::out_of_range:
        throw core::conflict(
            "The stock level cannot go below zero (available: " + std::to_string(result.level.available) +
            ", reserved: " + std::to_string(result.level.reserved) + ").");
      case AdjustResult::Status::ok:
        break;
    }
    return Response::json(200, level_json(result.level));
  });
}

}  // namespace shopmesh::stock
