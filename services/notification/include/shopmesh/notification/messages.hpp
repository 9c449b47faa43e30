#pragma once
// What a notification says: one draft (subject and human text) per event the service reacts to.
// Plain functions of the event and what the service knows about the user.
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::contracts {
struct UserRegisteredV1;
struct OrderCreatedV1;
struct OrderConfirmedV1;
struct OrderRejectedV1;
struct OrderCancelledV1;
struct ShipmentStatusChangedV1;
}  // namespace shopmesh::contracts

namespace shopmesh::notification {

/// How a notification reaches its user: e-mail when SMTP is configured, else in the app only.
enum class Channel { email, in_app };
std::string_view to_string(Channel c);

/// A notification before it is recorded.
struct Draft {
  std::string user_id;
  std::string type;  // the type of the event behind it, e.g. ORDER_CONFIRMED
  std::optional<std::string> order_id;
  std::string subject;
  std::string body;
};

/// The user's display name, when the service knows it.
using Name = std::optional<std::string>;

Draft welcome(const contracts::UserRegisteredV1& e);
Draft order_received(const contracts::OrderCreatedV1& e, const Name& name);
Draft order_confirmed(const contracts::OrderConfirmedV1& e, const Name& name);
Draft order_rejected(const contracts::OrderRejectedV1& e, const Name& name);
Draft order_cancelled(const contracts::OrderCancelledV1& e, const Name& name);
Draft shipment_changed(const contracts::ShipmentStatusChangedV1& e, const Name& name);

}  // namespace shopmesh::notification
