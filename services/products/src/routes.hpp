#pragma once
// HTTP adapters of the products service: parse, call the store, map to JSON.
namespace shopmesh::core {
class Router;
}

namespace shopmesh::products {
class ProductStore;

void register_routes(core::Router& router, ProductStore& store);
}  // namespace shopmesh::products
