#pragma once
// Events that notify users, published to the stack's real topics (identity, order, shipping) as
// their producers would write them.
#include <string>

#include "../../saga/mesh_kit.hpp"
#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_confirmed_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/contracts/user_deleted_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::testing::notification_events {

inline std::string order_topic() {
  return std::string(events::topic::order);
}

inline events::Envelope publish_user_registered(const std::string& user, const std::string& email,
                                                const std::string& name) {
  contracts::UserRegisteredV1 e{{user}, email, name, contracts::UserRegisteredV1Role::kUser, events::now_rfc3339()};
  return kit::publish(std::string(events::topic::identity), "USER_REGISTERED", user, to_json(e));
}

inline events::Envelope publish_user_deleted(const std::string& user) {
  contracts::UserDeletedV1 e{{user}, events::now_rfc3339()};
  return kit::publish(std::string(events::topic::identity), "USER_DELETED", user, to_json(e));
}

inline events::Envelope order_confirmed_envelope(const std::string& order, const std::string& user) {
  contracts::OrderConfirmedV1 e{{order}, {user}, events::now_rfc3339()};
  return kit::envelope("ORDER_CONFIRMED", order, to_json(e));
}

inline events::Envelope publish_order_confirmed(const std::string& order, const std::string& user) {
  auto e = order_confirmed_envelope(order, user);
  kit::publish(order_topic(), {e});
  return e;
}

/// ORDER_CREATED, ORDER_CONFIRMED, ORDER_CANCELLED, ORDER_REJECTED on order.events and one
/// SHIPMENT_STATUS_CHANGED (PENDING → READY) on shipping.events: five notifications. Returns the
/// event ids. (The stack reacts too: stock rejects the order, shipping cancels its shipment.)
inline std::vector<std::string> publish_order_lifecycle(const std::string& order, const std::string& user) {
  contracts::OrderCreatedV1 created;
  created.order_id = {order};
  created.user_id = {user};
  created.items.push_back({{core::uuid_v7()}, "Mug", core::Cents{1999}, 2, core::Cents{3998}});
  created.total_amount = core::Cents{3998};
  created.created_at = events::now_rfc3339();
  contracts::OrderCancelledV1 cancelled{
      {order}, {user}, contracts::OrderCancelledV1PreviousStatus::kConfirmed, {user}, events::now_rfc3339()};
  contracts::OrderRejectedV1 rejected{{order}, {user}, "OUT_OF_STOCK", events::now_rfc3339()};
  const std::vector<events::Envelope> order_events{kit::envelope("ORDER_CREATED", order, to_json(created)),
                                                   order_confirmed_envelope(order, user),
                                                   kit::envelope("ORDER_CANCELLED", order, to_json(cancelled)),
                                                   kit::envelope("ORDER_REJECTED", order, to_json(rejected))};
  kit::publish(order_topic(), order_events);
  std::vector<std::string> ids;
  for (const auto& e : order_events) ids.push_back(e.id);
  contracts::ShipmentStatusChangedV1 ready{{core::uuid_v7()},
                                           {order},
                                           {user},
                                           contracts::ShipmentStatusChangedV1ShipmentStatus::kPending,
                                           contracts::ShipmentStatusChangedV1ShipmentStatus::kReady,
                                           "SM0123456789AB",
                                           events::now_rfc3339()};
  ids.push_back(
      kit::publish(std::string(events::topic::shipping), "SHIPMENT_STATUS_CHANGED", order, to_json(ready)).id);
  return ids;
}

}  // namespace shopmesh::testing::notification_events
