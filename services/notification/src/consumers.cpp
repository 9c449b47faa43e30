#include "shopmesh/notification/consumers.hpp"

#include <functional>
#include <map>
#include <memory>

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_confirmed_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/contracts/user_deleted_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/notification/store.hpp"

namespace shopmesh::notification {
namespace {

Cause cause_of(const events::Consumed& c) {
  return {c.envelope.id, c.envelope.correlation_id.empty() ? c.envelope.id : c.envelope.correlation_id,
          c.envelope.traceparent};
}

// A notification of an event whose draft needs the user's name: the user, and the draft once
// the name is known.
struct Pending {
  std::string user_id;
  std::function<Draft(const Name&)> draft;
};
using Drafter = std::function<Pending(const rapidjson::Value&)>;

template <class Event, class Compose>
std::pair<std::pair<std::string, int>, Drafter> drafter(Compose compose) {
  return {{std::string(Event::kType), Event::kVersion}, [compose](const rapidjson::Value& data) {
            auto decoded = contracts::from_json<Event>(data);
            if (!decoded.ok()) throw events::PermanentError(contracts::describe(decoded.errors));
            auto e = std::make_shared<const Event>(std::move(*decoded.value));
            return Pending{e->user_id.value, [e, compose](const Name& name) { return compose(*e, name); }};
          }};
}

}  // namespace

void register_consumers(events::ConsumerRunner& runner, NotificationStore& store, events::OrderPipeline* pipeline) {
  runner.on<contracts::UserRegisteredV1>(
      [&store](pqxx::work& tx, const contracts::UserRegisteredV1& e, const events::Consumed& c) {
        store.remember_user(tx, e.user_id.value, e.email, e.name);
        store.record(tx, {{welcome(e), cause_of(c)}});
      });
  runner.on<contracts::UserDeletedV1>([&store](pqxx::work& tx, const contracts::UserDeletedV1& e,
                                               const events::Consumed&) { store.forget_user(tx, e.user_id.value); });
  // The notifications of order and shipment events, a run of a batch at a time: one look-up of the
  // users' names and one insert for all of them.
  const std::map<std::pair<std::string, int>, Drafter> drafters{
      drafter<contracts::OrderCreatedV1>(&order_received),
      drafter<contracts::OrderConfirmedV1>(&order_confirmed),
      drafter<contracts::OrderRejectedV1>(&order_rejected),
      drafter<contracts::OrderCancelledV1>(&order_cancelled),
      drafter<contracts::ShipmentStatusChangedV1>(&shipment_changed),
  };
  std::vector<std::pair<std::string, int>> types;
  for (const auto& [type, _] : drafters) types.push_back(type);
  runner.on_batch(types, [&store, drafters, pipeline](pqxx::work& tx,
                                                     const std::vector<events::ConsumerRunner::Item>& run) {
    std::vector<Pending> pending;
    std::vector<std::string> users;
    for (const auto& item : run) {
      const auto& e = item.consumed.envelope;
      pending.push_back(drafters.at({e.type, e.version})(item.data));
      users.push_back(pending.back().user_id);
    }
    const auto names = store.names_of(tx, users);
    std::vector<NotificationStore::Recording> notifications;
    for (std::size_t i = 0; i < run.size(); ++i) {
      const auto name = names.find(pending[i].user_id);
      notifications.push_back(
          {pending[i].draft(name == names.end() ? Name{} : Name{name->second}), cause_of(run[i].consumed)});
    }
    store.record(tx, notifications);
    // The pipeline's `notification_recorded` stage: the notification of the order's decision.
    if (pipeline == nullptr) return;
    std::vector<std::string> orders;
    for (const auto& item : run) {
      const auto& type = item.consumed.envelope.type;
      if (type != contracts::OrderConfirmedV1::kType && type != contracts::OrderRejectedV1::kType) continue;
      if (item.data.HasMember("orderId") && item.data["orderId"].IsString())
        orders.emplace_back(item.data["orderId"].GetString(), item.data["orderId"].GetStringLength());
    }
    if (orders.empty()) return;
    run.front().consumed.after_commit([pipeline, orders = std::move(orders)] {
      for (const auto& id : orders) pipeline->observe_since_order(events::PipelineStage::notification_recorded, id);
    });
  });
}

}  // namespace shopmesh::notification
