#pragma once
// What the products service does with other services' events (consumer group "products").
namespace shopmesh::events {
class ConsumerRunner;
}

namespace shopmesh::products {
class ProductStore;

/// STOCK_CHANGED (stock.events): keeps `products.stock` a projection of the stock service's levels.
void register_consumers(events::ConsumerRunner& runner, ProductStore& store);
}  // namespace shopmesh::products
