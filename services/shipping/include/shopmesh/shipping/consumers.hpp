#pragma once
// The shipping service's reactions (consumer group "shipping" on order.events and stock.events):
// ORDER_CREATED opens a shipment; STOCK_RESERVED (or the order's CONFIRMED) makes it READY;
// ORDER_STATUS_CHANGED to SHIPPED / DELIVERED follows the carrier; STOCK_REJECTED,
// ORDER_REJECTED and ORDER_CANCELLED cancel it. Any of them may arrive first.
namespace shopmesh::events {
class OrderPipeline;
class ConsumerRunner;
}

namespace shopmesh::shipping {
class ShipmentStore;

/// `pipeline`: where this service's stage of the order pipeline is timed (none in tests).
void register_consumers(events::ConsumerRunner& runner, ShipmentStore& store,
                        events::OrderPipeline* pipeline = nullptr);
}  // namespace shopmesh::shipping
