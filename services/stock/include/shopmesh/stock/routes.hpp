#pragma once
// HTTP adapters of the stock service:
//   GET  /api/stock/{productId}                  admin: {productId, available, reserved}
//   GET  /internal/stock/{productId}             the same, for services on the private network
//   POST /internal/stock/{productId}/adjust      {"delta": n} | {"set": n} -> level; 409 below zero
namespace shopmesh::core {
class Router;
}

namespace shopmesh::stock {
class StockStore;

void register_routes(core::Router& router, StockStore& store);
}  // namespace shopmesh::stock
