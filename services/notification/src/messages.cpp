#include "shopmesh/notification/messages.hpp"

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_confirmed_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/core/money.hpp"

namespace shopmesh::notification {
namespace {

std::string greeting(const Name& name) {
  return name && !name->empty() ? "Hi " + *name + ",\n\n" : "Hello,\n\n";
}

constexpr std::string_view kSignature = "\n\n-- \nShopmesh\n";

std::string rejection_reason(std::string_view reason) {
  if (reason == "OUT_OF_STOCK") return "some of its items are out of stock";
  if (reason == "UNKNOWN_PRODUCT") return "some of its items are no longer sold";
  return "it could not be fulfilled (" + std::string(reason) + ")";
}

}  // namespace

std::string_view to_string(Channel c) {
  return c == Channel::email ? "EMAIL" : "IN_APP";
}

Draft welcome(const contracts::UserRegisteredV1& e) {
  Draft d{e.user_id.value, "USER_REGISTERED", std::nullopt, "Welcome to Shopmesh, " + e.name, {}};
  d.body = greeting(e.name) + "your Shopmesh account for " + e.email + " is ready. Happy shopping!" +
           std::string(kSignature);
  return d;
}

Draft order_received(const contracts::OrderCreatedV1& e, const Name& name) {
  const std::string& id = e.order_id.value;
  Draft d{e.user_id.value, "ORDER_CREATED", id, "We received your order " + id, {}};
  std::int64_t units = 0;
  std::string lines;
  for (const auto& item : e.items) {
    units += item.quantity;
    lines += "  - " + std::to_string(item.quantity) + " x " + item.product_name + " at " +
             core::format_cents(item.unit_price) + " " + e.currency + "\n";
  }
  d.body = greeting(name) + "we received your order " + id + " for " + std::to_string(units) +
           (units == 1 ? " item" : " items") + ", " + core::format_cents(e.total_amount) + " " + e.currency +
           " in total:\n" + lines + "\nWe will let you know as soon as it is confirmed." + std::string(kSignature);
  return d;
}

Draft order_confirmed(const contracts::OrderConfirmedV1& e, const Name& name) {
  const std::string& id = e.order_id.value;
  Draft d{e.user_id.value, "ORDER_CONFIRMED", id, "Your order " + id + " was confirmed", {}};
  d.body = greeting(name) + "your order " + id +
           " was confirmed: its items are reserved for you and the shipment is being prepared." +
           std::string(kSignature);
  return d;
}

Draft order_rejected(const contracts::OrderRejectedV1& e, const Name& name) {
  const std::string& id = e.order_id.value;
  Draft d{e.user_id.value, "ORDER_REJECTED", id, "Your order " + id + " was rejected", {}};
  d.body = greeting(name) + "we are sorry: your order " + id + " was rejected because " + rejection_reason(e.reason) +
           "." + std::string(kSignature);
  return d;
}

Draft order_cancelled(const contracts::OrderCancelledV1& e, const Name& name) {
  const std::string& id = e.order_id.value;
  Draft d{e.user_id.value, "ORDER_CANCELLED", id, "Your order " + id + " was cancelled", {}};
  d.body = greeting(name) + "your order " + id + " was cancelled" +
           (e.cancelled_by == e.user_id ? " as you asked." : " by our staff.") +
           " Anything reserved for it was released." + std::string(kSignature);
  return d;
}

Draft shipment_changed(const contracts::ShipmentStatusChangedV1& e, const Name& name) {
  using S = contracts::ShipmentStatusChangedV1ShipmentStatus;
  const std::string& id = e.order_id.value;
  const std::string tracking = e.tracking_number ? " (tracking number " + *e.tracking_number + ")" : "";
  Draft d{e.user_id.value, "SHIPMENT_STATUS_CHANGED", id, {}, {}};
  std::string text;
  switch (e.to) {
    case S::kReady:
      d.subject = "Your order " + id + " is ready to ship";
      text = "the shipment of your order " + id + " is packed and ready to ship" + tracking + ".";
      break;
    case S::kShipped:
      d.subject = "Your order " + id + " has shipped";
      text = "your order " + id + " is on its way" + tracking + ".";
      break;
    case S::kDelivered:
      d.subject = "Your order " + id + " was delivered";
      text = "your order " + id + " was delivered" + tracking + ". Enjoy!";
      break;
    case S::kCancelled:
      d.subject = "The shipment of your order " + id + " was cancelled";
      text = "the shipment of your order " + id + " was cancelled" + tracking + ".";
      break;
    case S::kPending:
      d.subject = "The shipment of your order " + id + " is pending";
      text = "the shipment of your order " + id + " is waiting for its items.";
      break;
  }
  d.body = greeting(name) + text + std::string(kSignature);
  return d;
}

}  // namespace shopmesh::notification
