#pragma once
// The stock service's reactions (consumer group "stock"): PRODUCT_CREATED opens a level,
// PRODUCT_DELETED retires it, ORDER_CREATED reserves, ORDER_CANCELLED / ORDER_REJECTED release.
namespace shopmesh::events {
class OrderPipeline;
class ConsumerRunner;
}

namespace shopmesh::stock {
class StockStore;

/// `pipeline`: where this service's stage of the order pipeline is timed (none in tests).
void register_consumers(events::ConsumerRunner& runner, StockStore& store, events::OrderPipeline* pipeline = nullptr);
}  // namespace shopmesh::stock
