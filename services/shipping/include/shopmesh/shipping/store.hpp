#pragma once
// PostgreSQL access of the shipping service. Status changes are conditional updates under the
// row lock, and their events (SHIPMENT_CREATED, SHIPMENT_STATUS_CHANGED on shipping.events, key
// orderId) go to the outbox in the same transaction.
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <string>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/shipping/shipment.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::contracts {
struct OrderCreatedV1;
}

namespace shopmesh::shipping {

class ShipmentStore {
 public:
  ShipmentStore(core::PgPool& db, events::Outbox outbox);

  // Effects of consumed events: they run inside the consumer's transaction `tx`.

  /// ORDER_CREATED: opens the shipment (PENDING) or completes the one opened by an earlier stock
  /// or order event, then publishes SHIPMENT_CREATED and the transitions it already went through.
  void open(pqxx::work& tx, const contracts::OrderCreatedV1& order, const events::EventContext& ctx);
  /// Moves the order's shipment towards `target` (opening an unannounced one if none exists yet);
  /// `user_id` is the order's owner when the event carries it. True when the shipment moved.
  bool advance(pqxx::work& tx, const std::string& order_id, Status target, const std::optional<std::string>& user_id,
               const events::EventContext& ctx);

  // HTTP.

  std::optional<Shipment> find(const std::string& id);
  std::optional<Shipment> find_by_order(const std::string& order_id);
  /// A page of shipments; `owner` restricts it to one user's.
  Page list(const ListQuery& query, const std::optional<std::string>& owner);

 private:
  struct Locked;
  std::optional<Locked> lock(pqxx::work& tx, const std::string& order_id);
  void publish_steps(pqxx::work& tx, const Locked& row, const std::vector<Step>& steps,
                     const events::EventContext& ctx);
  std::string new_tracking_number();

  core::PgPool& db_;
  events::Outbox outbox_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
};

}  // namespace shopmesh::shipping
