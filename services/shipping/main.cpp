// The shipping service: one shipment per order, driven by order and stock events (PENDING →
// READY → SHIPPED → DELIVERED, or CANCELLED), published on shipping.events through the outbox.
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/shipping/consumers.hpp"
#include "shopmesh/shipping/routes.hpp"
#include "shopmesh/shipping/store.hpp"

namespace shopmesh::shipping {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<shipping::ShipmentStore> store;
  std::unique_ptr<events::OrderPipeline> pipeline;
  return core::run_service(
      {"shipping",
       8087,
       {{"events", &events::migrations()}, {"shipping", &shipping::migrations()}},
       [&](core::ServiceContext& ctx) {
         pipeline = std::make_unique<events::OrderPipeline>(
             ctx.metrics, std::vector{events::PipelineStage::shipment_ready});
         store = std::make_unique<shipping::ShipmentStore>(*ctx.db, events::Outbox("shipping"));
         shipping::register_routes(ctx.router, *store);
         events::add_outbox_relay(ctx, "shipping");
         auto& consumer = events::add_consumer(ctx, "shipping", {events::topic::order, events::topic::stock});
         shipping::register_consumers(consumer, *store, pipeline.get());
       }});
}
