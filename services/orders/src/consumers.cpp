#include "shopmesh/orders/consumers.hpp"

#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/orders/store.hpp"

namespace shopmesh::orders {

void register_consumers(events::ConsumerRunner& runner, OrderStore& store, events::OrderPipeline* pipeline) {
  // The pipeline's `confirmed` stage: CONFIRMED or REJECTED applied (once; a redelivery changes nothing).
  auto decided = [pipeline](const events::Consumed& c, const std::string& order_id) {
    if (pipeline != nullptr)
      c.after_commit(
          [pipeline, order_id] { pipeline->observe_since_order(events::PipelineStage::confirmed, order_id); });
  };
  runner.on<contracts::StockReservedV1>(
      [&store, decided](pqxx::work& tx, const contracts::StockReservedV1& e, const events::Consumed& c) {
        if (store.confirm(tx, e.order_id.value, c.reaction())) decided(c, e.order_id.value);
      });
  runner.on<contracts::StockRejectedV1>(
      [&store, decided](pqxx::work& tx, const contracts::StockRejectedV1& e, const events::Consumed& c) {
        if (store.reject(tx, e.order_id.value, std::string(contracts::to_string(e.reason)), c.reaction()))
          decided(c, e.order_id.value);
      });
}

}  // namespace shopmesh::orders
