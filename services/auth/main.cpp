// The auth service: accounts, credentials (Argon2id), RS256 access tokens, rotating refresh
// tokens, and the identity events (USER_REGISTERED, SESSION_REVOKED) through the outbox.
#include <memory>

#include "shopmesh/auth/auth_service.hpp"
#include "shopmesh/auth/config.hpp"
#include "shopmesh/auth/consumers.hpp"
#include "shopmesh/auth/keys.hpp"
#include "shopmesh/auth/passwords.hpp"
#include "shopmesh/auth/routes.hpp"
#include "shopmesh/auth/store.hpp"
#include "shopmesh/auth/users_client.hpp"
#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"

namespace shopmesh::auth {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<auth::Argon2Limiter> limiter;
  std::unique_ptr<auth::PasswordHasher> hasher;
  std::unique_ptr<auth::TokenIssuer> issuer;
  std::unique_ptr<auth::AuthStore> store;
  std::unique_ptr<auth::UsersClient> users;
  std::unique_ptr<auth::AuthService> service;
  return core::run_service(
      {"auth",
       8081,
       {{"events", &events::migrations()}, {"auth", &auth::migrations()}},
       [&](core::ServiceContext& ctx) {
         const auto config = auth::AuthConfig::from_env(ctx.env, ctx.config);
         ctx.env.finish();  // nothing below may run on a bad configuration (it seeds and signs)

         limiter = std::make_unique<auth::Argon2Limiter>(config.argon2_concurrency, config.argon2_max_waiting,
                                                         config.argon2_max_wait);
         hasher = std::make_unique<auth::PasswordHasher>(config.argon2, *limiter);
         auth::KeyPolicy keys{config.key_rotation, config.key_passphrase};
         issuer = std::make_unique<auth::TokenIssuer>(auth::KeyRing(auth::load_signing_keys(*ctx.db, keys, ctx.log)),
                                                      config.tokens);
         store = std::make_unique<auth::AuthStore>(*ctx.db, events::Outbox("auth"));
         if (!config.users_url.empty())
           users = std::make_unique<auth::UsersClient>(config.users_url, config.users_timeout, ctx.mesh, ctx.log);
         service = std::make_unique<auth::AuthService>(*store, *hasher, *issuer, users.get(), ctx.log);
         // The relay creates the outbox slot: events written before it exists are never read, and
         // seeding the admin writes USER_REGISTERED.
         events::add_outbox_relay(ctx, "auth");
         if (!config.admin_email.empty())
           service->seed_admin(config.admin_email, config.admin_password, config.admin_name);
         auth::register_routes(ctx.router, *service, *issuer);

         auth::register_consumers(events::add_consumer(ctx, "auth", {events::topic::identity}), *store);
       }});
}
