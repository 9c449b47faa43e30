#include "shopmesh/products/consumers.hpp"

#include "shopmesh/contracts/stock_changed_v1.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/products/store.hpp"

namespace shopmesh::products {

void register_consumers(events::ConsumerRunner& runner, ProductStore& store) {
  runner.on<contracts::StockChangedV1>(
      [&store](pqxx::work& tx, const contracts::StockChangedV1& e, const events::Consumed&) {
        store.apply_stock_level(tx, e.product_id.value, e.available, e.changed_at);
      });
}

}  // namespace shopmesh::products
