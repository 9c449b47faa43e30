#pragma once
// What the orders service does with the stock service's decisions (consumer group "orders",
// topic stock.events): STOCK_RESERVED confirms a PENDING order (ORDER_CONFIRMED), STOCK_REJECTED
// rejects it with the reason as statusReason (ORDER_REJECTED). An order that is no longer
// PENDING (cancelled meanwhile, already decided) is left alone: a late reservation never
// resurrects a cancelled order; the stock service releases it on ORDER_CANCELLED.
namespace shopmesh::events {
class OrderPipeline;
class ConsumerRunner;
}

namespace shopmesh::orders {
class OrderStore;

/// `pipeline`: where this service's stage of the order pipeline is timed (none in tests).
void register_consumers(events::ConsumerRunner& runner, OrderStore& store, events::OrderPipeline* pipeline = nullptr);
}  // namespace shopmesh::orders
