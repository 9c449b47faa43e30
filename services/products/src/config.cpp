#include "shopmesh/products/config.hpp"

#include "shopmesh/core/config.hpp"

namespace shopmesh::products {

ProductsConfig ProductsConfig::from_env(core::EnvReader& env) {
  ProductsConfig c;
  c.stock_url = env.str("STOCK_URL", "http://127.0.0.1:8086");
  if (c.stock_url.rfind("http://", 0) != 0 && c.stock_url.rfind("https://", 0) != 0)
    env.fail("STOCK_URL", "must be an http:// or https:// URL");
  while (!c.stock_url.empty() && c.stock_url.back() == '/') c.stock_url.pop_back();
  c.stock_timeout = env.millis("STOCK_CALL_TIMEOUT_MS", c.stock_timeout, std::chrono::milliseconds{50},
                               std::chrono::milliseconds{30'000});
  return c;
}

}  // namespace shopmesh::products
