#pragma once
// The sweep of parked orders (orders that named a product before its PRODUCT_CREATED arrived):
// the PRODUCT_CREATED consumer retries the orders waiting for that product at once; this thread
// retries the rest every second while any may be parked (and every 30 s regardless, for orders
// parked by an instance that has gone), and rejects those that waited longer than
// STOCK_UNKNOWN_PRODUCT_WAIT_MS. It also settles an order that two transactions raced on.
#include <memory>

#include "shopmesh/core/service.hpp"

namespace shopmesh::core {
class Logger;
class PgPool;
}  // namespace shopmesh::core

namespace shopmesh::stock {

class StockStore;

class ParkedOrderSweeper : public core::Component {
 public:
  ParkedOrderSweeper(core::PgPool& db, StockStore& store, core::Logger& log);
  ~ParkedOrderSweeper() override;

  void start() override;
  void stop() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::stock
