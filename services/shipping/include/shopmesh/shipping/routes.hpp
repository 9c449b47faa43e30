#pragma once
// HTTP adapters of the shipping service (owner or admin; another user's shipment is a 404):
//   GET /api/shipments?orderId=X   the order's shipment
//   GET /api/shipments             a page of the caller's shipments (admin: all, ?userId=), ?status=
//   GET /api/shipments/{id}        one shipment
namespace shopmesh::core {
class Router;
}

namespace shopmesh::shipping {
class ShipmentStore;

void register_routes(core::Router& router, ShipmentStore& store);
}  // namespace shopmesh::shipping
