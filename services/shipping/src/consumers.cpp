#include "shopmesh/shipping/consumers.hpp"

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/order_status_changed_v1.hpp"
#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/shipping/store.hpp"

namespace shopmesh::shipping {
namespace {

// The shipment status an order status implies, if any.
std::optional<Status> implied_by(contracts::OrderStatusChangedV1OrderStatus to) {
  using O = contracts::OrderStatusChangedV1OrderStatus;
  switch (to) {
    case O::kConfirmed:
      return Status::ready;
    case O::kShipped:
      return Status::shipped;
    case O::kDelivered:
      return Status::delivered;
    case O::kRejected:
    case O::kCancelled:
      return Status::cancelled;
    case O::kPending:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

void register_consumers(events::ConsumerRunner& runner, ShipmentStore& store, events::OrderPipeline* pipeline) {
  runner.on<contracts::OrderCreatedV1>([&store](pqxx::work& tx, const contracts::OrderCreatedV1& e,
                                                const events::Consumed& c) { store.open(tx, e, c.reaction()); });
  // The pipeline's `shipment_ready` stage: the shipment became READY.
  runner.on<contracts::StockReservedV1>(
      [&store, pipeline](pqxx::work& tx, const contracts::StockReservedV1& e, const events::Consumed& c) {
        if (store.advance(tx, e.order_id.value, Status::ready, std::nullopt, c.reaction()) && pipeline != nullptr)
          c.after_commit([pipeline, id = e.order_id.value] {
            pipeline->observe_since_order(events::PipelineStage::shipment_ready, id);
          });
      });
  runner.on<contracts::StockRejectedV1>(
      [&store](pqxx::work& tx, const contracts::StockRejectedV1& e, const events::Consumed& c) {
        store.advance(tx, e.order_id.value, Status::cancelled, std::nullopt, c.reaction());
      });
  runner.on<contracts::OrderRejectedV1>(
      [&store](pqxx::work& tx, const contracts::OrderRejectedV1& e, const events::Consumed& c) {
        store.advance(tx, e.order_id.value, Status::cancelled, e.user_id.value, c.reaction());
      });
  runner.on<contracts::OrderCancelledV1>(
      [&store](pqxx::work& tx, const contracts::OrderCancelledV1& e, const events::Consumed& c) {
        store.advance(tx, e.order_id.value, Status::cancelled, e.user_id.value, c.reaction());
      });
  runner.on<contracts::OrderStatusChangedV1>(
      [&store](pqxx::work& tx, const contracts::OrderStatusChangedV1& e, const events::Consumed& c) {
        if (auto target = implied_by(e.to)) store.advance(tx, e.order_id.value, *target, e.user_id.value, c.reaction());
      });
}

}  // namespace shopmesh::shipping
