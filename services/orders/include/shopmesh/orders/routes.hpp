#pragma once
// HTTP adapters of the orders service. Identity comes from the gateway's X-User-* headers;
// another user's order answers 404, like one that does not exist.
namespace shopmesh::core {
class Router;
}

namespace shopmesh::orders {
class OrderStore;
class Ordering;

void register_routes(core::Router& router, OrderStore& store, Ordering& ordering);
}  // namespace shopmesh::orders
