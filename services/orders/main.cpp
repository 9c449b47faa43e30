// The orders service: orders over PostgreSQL, priced from the catalog (products service) when
// placed. ORDER_* events go out through the outbox; the stock service's decisions come back on
// stock.events (consumer group "orders") and move orders PENDING → CONFIRMED | REJECTED.
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/orders/config.hpp"
#include "shopmesh/orders/consumers.hpp"
#include "shopmesh/orders/ordering.hpp"
#include "shopmesh/orders/routes.hpp"
#include "shopmesh/orders/store.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::orders {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<orders::OrderStore> store;
  std::unique_ptr<products::client::HttpCatalog> catalog;
  std::unique_ptr<orders::Ordering> ordering;
  std::unique_ptr<events::OrderPipeline> pipeline;
  return core::run_service(
      {"orders",
       8085,
       {{"events", &events::migrations()}, {"orders", &orders::migrations()}},
       [&](core::ServiceContext& ctx) {
         pipeline = std::make_unique<events::OrderPipeline>(
             ctx.metrics, std::vector{events::PipelineStage::published, events::PipelineStage::confirmed});
         const auto config = orders::OrdersConfig::from_env(ctx.env);
         store = std::make_unique<orders::OrderStore>(*ctx.db, events::Outbox("orders"));
         catalog = std::make_unique<products::client::HttpCatalog>(config.products_url, config.products_timeout, ctx.mesh);
         ordering = std::make_unique<orders::Ordering>(*store, *catalog);
         orders::register_routes(ctx.router, *store, *ordering);
         events::add_outbox_relay(ctx, "orders", pipeline.get());
         auto& consumer = events::add_consumer(ctx, "orders", {events::topic::stock});
         orders::register_consumers(consumer, *store, pipeline.get());
       }});
}
