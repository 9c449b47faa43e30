#pragma once
// The auth service's own settings, read once from the environment and validated at start-up.
#include <chrono>
#include <string>

#include "shopmesh/auth/passwords.hpp"
#include "shopmesh/auth/tokens.hpp"

namespace shopmesh::core {
class EnvReader;
struct ServiceConfig;
}  // namespace shopmesh::core

namespace shopmesh::auth {

struct AuthConfig {
  TokenSettings tokens;  // JWT_ISSUER, JWT_AUDIENCE, JWT_ACCESS_TTL_SECONDS, JWT_REFRESH_TTL_SECONDS
  std::chrono::hours key_rotation{24 * 30};         // JWT_KEY_ROTATION_DAYS
  std::string key_passphrase;                       // JWT_KEY_PASSPHRASE (optional; encrypts stored private keys)
  Argon2Params argon2;                              // ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM
  int argon2_concurrency = 2;                       // ARGON2_CONCURRENCY
  int argon2_max_waiting = 4;                       // ARGON2_MAX_WAITING
  std::chrono::milliseconds argon2_max_wait{2000};  // ARGON2_MAX_WAIT_MS
  std::string admin_email;                          // ADMIN_EMAIL (empty: no admin seeded)
  std::string admin_password;                       // ADMIN_PASSWORD (never logged)
  std::string admin_name = "Administrator";         // ADMIN_NAME
  std::string users_url;                            // USERS_URL (empty: no synchronous profile creation)
  std::chrono::milliseconds users_timeout{1000};    // USERS_CALL_TIMEOUT_MS

  /// Reads and validates; problems are recorded in `env` (reported together by run_service).
  static AuthConfig from_env(core::EnvReader& env, const core::ServiceConfig& service);
};

}  // namespace shopmesh::auth
