#pragma once
// The products service's own settings, read once from the environment at start-up.
#include <chrono>
#include <string>

namespace shopmesh::core {
class EnvReader;
}

namespace shopmesh::products {

struct ProductsConfig {
  std::string stock_url;                          // STOCK_URL: where stock adjustments are forwarded
  std::chrono::milliseconds stock_timeout{2000};  // STOCK_CALL_TIMEOUT_MS

  /// Reads and validates; problems are recorded in `env` (reported together by run_service).
  static ProductsConfig from_env(core::EnvReader& env);
};

}  // namespace shopmesh::products
