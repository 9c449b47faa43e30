#pragma once
// HTTP adapters of the cart service. The cart belongs to the caller (X-User-Id from the gateway).
namespace shopmesh::core {
class Router;
}
namespace shopmesh::products::client {
class Catalog;
}

namespace shopmesh::cart {
class CartStore;
class Checkout;

void register_routes(core::Router& router, CartStore& store, products::client::Catalog& catalog, Checkout& checkout);
}  // namespace shopmesh::cart
