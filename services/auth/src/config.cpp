#include "shopmesh/auth/config.hpp"

#include "shopmesh/auth/account.hpp"
#include "shopmesh/core/config.hpp"

namespace shopmesh::auth {

AuthConfig AuthConfig::from_env(core::EnvReader& env, const core::ServiceConfig& service) {
  AuthConfig c;
  c.tokens.issuer = env.str("JWT_ISSUER", "shopmesh");
  c.tokens.audience = env.str("JWT_AUDIENCE", "shopmesh-api");
  c.tokens.access_ttl = std::chrono::seconds{env.integer("JWT_ACCESS_TTL_SECONDS", 900, 30, 24 * 3600)};
  c.tokens.refresh_ttl =
      std::chrono::seconds{env.integer("JWT_REFRESH_TTL_SECONDS", 7 * 24 * 3600, 60, 365LL * 24 * 3600)};
  if (c.tokens.refresh_ttl <= c.tokens.access_ttl)
    env.fail("JWT_REFRESH_TTL_SECONDS", "must be longer than JWT_ACCESS_TTL_SECONDS");
  c.key_rotation = std::chrono::hours{24 * env.integer("JWT_KEY_ROTATION_DAYS", 30, 1, 3650)};
  c.key_passphrase = env.str("JWT_KEY_PASSPHRASE", "");

  c.argon2.memory_kib = static_cast<std::uint32_t>(env.integer("ARGON2_MEMORY_KIB", 19456, 7168, 4 * 1024 * 1024));
  c.argon2.iterations = static_cast<std::uint32_t>(env.integer("ARGON2_ITERATIONS", 2, 1, 64));
  c.argon2.parallelism = static_cast<std::uint32_t>(env.integer("ARGON2_PARALLELISM", 1, 1, 16));
  c.argon2_concurrency = static_cast<int>(env.integer("ARGON2_CONCURRENCY", 2, 1, 64));
  c.argon2_max_waiting = static_cast<int>(env.integer("ARGON2_MAX_WAITING", 4, 0, 1024));
  c.argon2_max_wait = env.millis("ARGON2_MAX_WAIT_MS", c.argon2_max_wait, std::chrono::milliseconds{0},
                                 std::chrono::milliseconds{60'000});
  // Hashing (running + waiting) must leave at least two workers for everything else.
  if (c.argon2_concurrency + c.argon2_max_waiting > service.worker_threads - 2)
    env.fail("ARGON2_MAX_WAITING",
             "plus ARGON2_CONCURRENCY (" + std::to_string(c.argon2_concurrency + c.argon2_max_waiting) +
                 ") must leave at least 2 of WORKER_THREADS (" + std::to_string(service.worker_threads) + ") free");

  c.admin_email = trim(env.str("ADMIN_EMAIL", ""));
  c.admin_password = env.str("ADMIN_PASSWORD", "");
  c.admin_name = trim(env.str("ADMIN_NAME", "Administrator"));
  if (!c.admin_email.empty()) {
    if (auto problem = email_problem(c.admin_email)) env.fail("ADMIN_EMAIL", *problem);
    if (auto problem = password_problem(c.admin_password)) env.fail("ADMIN_PASSWORD", *problem);  // never echoed
    if (auto problem = name_problem(c.admin_name)) env.fail("ADMIN_NAME", *problem);
  }
  c.users_url = env.str("USERS_URL", "http://127.0.0.1:8082");
  c.users_timeout = env.millis("USERS_CALL_TIMEOUT_MS", c.users_timeout, std::chrono::milliseconds{50},
                               std::chrono::milliseconds{30'000});
  return c;
}

}  // namespace shopmesh::auth
