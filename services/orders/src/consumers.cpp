#include "shopmesh/orders/consumers.hpp"

#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/orders/store.hpp"

namespace shopmesh::orders {

void register_consumers(events::ConsumerRunner& runner, OrderStore& store) {
  runner.on<contracts::StockReservedV1>(
      [&store](pqxx::work& tx, const contracts::StockReservedV1& e, const events::Consumed& c) {
        store.confirm(tx, e.order_id.value, c.reaction());
      });
  runner.on<contracts::StockRejectedV1>(
      [&store](pqxx::work& tx, const contracts::StockRejectedV1& e, const events::Consumed& c) {
        store.reject(tx, e.order_id.value, std::string(contracts::to_string(e.reason)), c.reaction());
      });
}

}  // namespace shopmesh::orders
