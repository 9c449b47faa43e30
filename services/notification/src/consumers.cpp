#include "consumers.hpp"

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_confirmed_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/contracts/user_deleted_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "store.hpp"

namespace shopmesh::notification {
namespace {

Cause cause_of(const events::Consumed& c) {
  return {c.envelope.id, c.envelope.correlation_id.empty() ? c.envelope.id : c.envelope.correlation_id,
          c.envelope.traceparent};
}

// Registers a notification for an event type whose draft needs the user's name.
template <class Event, class Compose>
void notify_on(events::ConsumerRunner& runner, NotificationStore& store, Compose compose) {
  runner.on<Event>([&store, compose](pqxx::work& tx, const Event& e, const events::Consumed& c) {
    store.record(tx, compose(e, store.name_of(tx, e.user_id.value)), cause_of(c));
  });
}

}  // namespace

void register_consumers(events::ConsumerRunner& runner, NotificationStore& store) {
  runner.on<contracts::UserRegisteredV1>(
      [&store](pqxx::work& tx, const contracts::UserRegisteredV1& e, const events::Consumed& c) {
        store.remember_user(tx, e.user_id.value, e.email, e.name);
        store.record(tx, welcome(e), cause_of(c));
      });
  runner.on<contracts::UserDeletedV1>([&store](pqxx::work& tx, const contracts::UserDeletedV1& e,
                                               const events::Consumed&) { store.forget_user(tx, e.user_id.value); });
  notify_on<contracts::OrderCreatedV1>(runner, store, &order_received);
  notify_on<contracts::OrderConfirmedV1>(runner, store, &order_confirmed);
  notify_on<contracts::OrderRejectedV1>(runner, store, &order_rejected);
  notify_on<contracts::OrderCancelledV1>(runner, store, &order_cancelled);
  notify_on<contracts::ShipmentStatusChangedV1>(runner, store, &shipment_changed);
}

}  // namespace shopmesh::notification
