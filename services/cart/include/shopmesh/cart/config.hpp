#pragma once
// The cart service's own settings, read once from the environment at start-up.
#include <chrono>
#include <string>

namespace shopmesh::core {
class EnvReader;
}

namespace shopmesh::cart {

struct CartConfig {
  std::string products_url;                          // PRODUCTS_URL: current names and prices
  std::chrono::milliseconds products_timeout{2000};  // PRODUCTS_CALL_TIMEOUT_MS
  std::string orders_url;                            // ORDERS_URL: where checkout creates the order
  std::chrono::milliseconds orders_timeout{5000};    // ORDERS_CALL_TIMEOUT_MS (orders itself calls products)

  /// Reads and validates; problems are recorded in `env` (reported together by run_service).
  static CartConfig from_env(core::EnvReader& env);
};

}  // namespace shopmesh::cart
