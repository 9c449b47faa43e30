#pragma once
// HTTP adapters of the products service: parse, call the store (and the stock service for level
// changes), map to JSON. Identity comes from the gateway's X-User-* headers.
namespace shopmesh::core {
class Router;
}

namespace shopmesh::products {
class ProductStore;
class StockAdjuster;

void register_routes(core::Router& router, ProductStore& store, StockAdjuster& stock);
}  // namespace shopmesh::products
