#pragma once
// The orders service's own settings, read once from the environment at start-up.
#include <chrono>
#include <string>

namespace shopmesh::core {
class EnvReader;
}

namespace shopmesh::orders {

struct OrdersConfig {
  std::string products_url;                          // PRODUCTS_URL: the catalog prices come from
  std::chrono::milliseconds products_timeout{2000};  // PRODUCTS_CALL_TIMEOUT_MS

  /// Reads and validates; problems are recorded in `env` (reported together by run_service).
  static OrdersConfig from_env(core::EnvReader& env);
};

}  // namespace shopmesh::orders
