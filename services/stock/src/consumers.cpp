#include "shopmesh/stock/consumers.hpp"

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/contracts/product_deleted_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/stock/store.hpp"

namespace shopmesh::stock {

void register_consumers(events::ConsumerRunner& runner, StockStore& store, events::OrderPipeline* pipeline) {
  runner.on<contracts::ProductCreatedV1>(
      [&store](pqxx::work& tx, const contracts::ProductCreatedV1& e, const events::Consumed& c) {
        if (e.stock > kMaxLevel) throw events::PermanentError("initial stock exceeds the maximum level");
        // Orders that arrived before their product wait for it (migration 0004).
        if (store.open_level(tx, e.product_id.value, e.stock, c.reaction())) store.resume_parked(tx, e.product_id.value);
      });
  runner.on<contracts::ProductDeletedV1>(
      [&store](pqxx::work& tx, const contracts::ProductDeletedV1& e, const events::Consumed&) {
        store.retire_level(tx, e.product_id.value);
      });
  // Orders of a batch are reserved together: one round trip under the levels' locks.
  // The pipeline's `stock_decided` stage: a reservation or a rejection committed (not a parked order).
  runner.on_batch<contracts::OrderCreatedV1>(
      [&store, pipeline](pqxx::work& tx,
                         const std::vector<events::ConsumerRunner::Typed<contracts::OrderCreatedV1>>& run) {
        std::vector<StockStore::OrderLines> orders;
        orders.reserve(run.size());
        for (const auto& [e, c] : run) {
          auto& order = orders.emplace_back(StockStore::OrderLines{e.order_id.value, {}, c.reaction()});
          for (const auto& item : e.items) order.lines.push_back({item.product_id.value, item.quantity});
        }
        const auto outcomes = store.reserve(tx, orders);
        if (pipeline == nullptr || run.empty()) return;
        std::vector<std::string> decided;
        for (std::size_t i = 0; i < outcomes.size() && i < orders.size(); ++i)
          if (outcomes[i] == ReserveOutcome::reserved || outcomes[i] == ReserveOutcome::rejected)
            decided.push_back(orders[i].order_id);
        if (decided.empty()) return;
        run.front().consumed.after_commit([pipeline, decided = std::move(decided)] {
          for (const auto& id : decided) pipeline->observe_since_order(events::PipelineStage::stock_decided, id);
        });
      });
  runner.on<contracts::OrderCancelledV1>(
      [&store](pqxx::work& tx, const contracts::OrderCancelledV1& e, const events::Consumed& c) {
        store.release(tx, e.order_id.value, StockStore::Ending::cancelled, c.reaction());
      });
  // Orders rejects only what stock rejected (nothing reserved then), but if it ever rejects a
  // reserved order for another reason the units must not stay locked away.
  runner.on<contracts::OrderRejectedV1>(
      [&store](pqxx::work& tx, const contracts::OrderRejectedV1& e, const events::Consumed& c) {
        store.release(tx, e.order_id.value, StockStore::Ending::rejected, c.reaction());
      });
}

}  // namespace shopmesh::stock
