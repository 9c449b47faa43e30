#pragma once
// The notification service's reactions (consumer group NOTIFICATION_GROUP, default
// "notification", on identity.events, order.events and shipping.events): one notification per
// (event, user) for USER_REGISTERED, ORDER_CREATED, ORDER_CONFIRMED, ORDER_REJECTED,
// ORDER_CANCELLED and SHIPMENT_STATUS_CHANGED; USER_REGISTERED / USER_DELETED keep the users projection.
namespace shopmesh::events {
class OrderPipeline;
class ConsumerRunner;
}

namespace shopmesh::notification {
class NotificationStore;

/// `pipeline`: where this service's stage of the order pipeline is timed (none in tests).
void register_consumers(events::ConsumerRunner& runner, NotificationStore& store,
                        events::OrderPipeline* pipeline = nullptr);
}  // namespace shopmesh::notification
