#pragma once
// The stock service's reactions (consumer group "stock"): PRODUCT_CREATED opens a level,
// PRODUCT_DELETED retires it, ORDER_CREATED reserves, ORDER_CANCELLED / ORDER_REJECTED release.
namespace shopmesh::events {
class ConsumerRunner;
}

namespace shopmesh::stock {
class StockStore;

void register_consumers(events::ConsumerRunner& runner, StockStore& store);
}  // namespace shopmesh::stock
