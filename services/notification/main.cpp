// The notification service: records a notification for each user-facing event and, when SMTP_URL
// is set, e-mails it from a separate sender (never inside a consumer transaction).
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/notification/config.hpp"
#include "shopmesh/notification/consumers.hpp"
#include "shopmesh/notification/routes.hpp"
#include "shopmesh/notification/sender.hpp"
#include "shopmesh/notification/store.hpp"

namespace shopmesh::notification {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<notification::NotificationStore> store;
  std::unique_ptr<events::OrderPipeline> pipeline;
  return core::run_service(
      {"notification",
       8088,
       {{"events", &events::migrations()}, {"notification", &notification::migrations()}},
       [&](core::ServiceContext& ctx) {
         pipeline = std::make_unique<events::OrderPipeline>(
             ctx.metrics, std::vector{events::PipelineStage::notification_recorded});
         const auto config = notification::NotificationConfig::from_env(ctx.env);
         store = std::make_unique<notification::NotificationStore>(
             *ctx.db, events::Outbox("notification"),
             config.email() ? notification::Channel::email : notification::Channel::in_app);
         notification::register_routes(ctx.router, *store);
         events::add_outbox_relay(ctx, "notification");
         if (config.email())
           ctx.components.push_back(std::make_unique<notification::EmailSender>(ctx.config.database_url, config, *store,
                                                                                ctx.log, ctx.metrics));
         auto& consumer = events::add_consumer(
             ctx, config.group, {events::topic::identity, events::topic::order, events::topic::shipping});
         notification::register_consumers(consumer, *store, pipeline.get());
       }});
}
