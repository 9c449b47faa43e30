// The stock service: owns stock levels; reserves all-or-nothing on ORDER_CREATED, releases on
// ORDER_CANCELLED, opens levels on PRODUCT_CREATED (and then decides the orders that waited for
// it); events leave through the outbox.
#include <chrono>
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/stock/consumers.hpp"
#include "shopmesh/stock/parked.hpp"
#include "shopmesh/stock/routes.hpp"
#include "shopmesh/stock/store.hpp"

namespace shopmesh::stock {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<stock::StockStore> store;
  std::unique_ptr<events::OrderPipeline> pipeline;
  return core::run_service(
      {"stock",
       8086,
       {{"events", &events::migrations()}, {"stock", &stock::migrations()}},
       [&](core::ServiceContext& ctx) {
         pipeline = std::make_unique<events::OrderPipeline>(
             ctx.metrics, std::vector{events::PipelineStage::stock_decided});
         const auto product_wait = ctx.env.millis("STOCK_UNKNOWN_PRODUCT_WAIT_MS", std::chrono::seconds(30),
                                                  std::chrono::milliseconds(0), std::chrono::hours(24));
         store = std::make_unique<stock::StockStore>(*ctx.db, events::Outbox("stock"), product_wait);
         stock::register_routes(ctx.router, *store);
         events::add_outbox_relay(ctx, "stock");
         ctx.components.push_back(std::make_unique<stock::ParkedOrderSweeper>(*ctx.db, *store, ctx.log));
         auto& consumer = events::add_consumer(ctx, "stock", {events::topic::order, events::topic::catalog});
         stock::register_consumers(consumer, *store, pipeline.get());
       }});
}
