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
         auto consumer = std::make_unique<events::ConsumerRunner>(
             events::ConsumerOptions{.group = "shipping",
                                     .topics = {std::string(events::topic::order), std::string(events::topic::stock)},
                                     .brokers = ctx.config.kafka_brokers,
                                     .workers = ctx.config.consumer_workers,
                                     .instance_id = ctx.config.kafka_instance_id},
             *ctx.db, ctx.log, ctx.metrics);
         shipping::register_consumers(*consumer, *store, pipeline.get());
         ctx.components.push_back(std::move(consumer));
       }});
}
