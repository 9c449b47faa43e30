// The users service: profiles over PostgreSQL. Profiles are created by auth's synchronous call at
// registration, by USER_REGISTERED (consumer group "users"), or on first read; admin deletion
// publishes USER_DELETED, on which auth disables the account.
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/users/consumers.hpp"
#include "shopmesh/users/routes.hpp"
#include "shopmesh/users/store.hpp"

namespace shopmesh::users {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<users::ProfileStore> store;
  return core::run_service(
      {"users",
       8082,
       {{"events", &events::migrations()}, {"users", &users::migrations()}},
       [&](core::ServiceContext& ctx) {
         store = std::make_unique<users::ProfileStore>(*ctx.db, events::Outbox("users"));
         users::register_routes(ctx.router, *store);
         events::add_outbox_relay(ctx, "users");
         users::register_consumers(events::add_consumer(ctx, "users", {events::topic::identity}), *store);
       }});
}
