#include "shopmesh/orders/config.hpp"

#include "shopmesh/core/config.hpp"

namespace shopmesh::orders {

OrdersConfig OrdersConfig::from_env(core::EnvReader& env) {
  OrdersConfig c;
  c.products_url = env.str("PRODUCTS_URL", "http://127.0.0.1:8083");
  if (c.products_url.rfind("http://", 0) != 0 && c.products_url.rfind("https://", 0) != 0)
    env.fail("PRODUCTS_URL", "must be an http:// or https:// URL");
  while (!c.products_url.empty() && c.products_url.back() == '/') c.products_url.pop_back();
  c.products_timeout = env.millis("PRODUCTS_CALL_TIMEOUT_MS", c.products_timeout, std::chrono::milliseconds{50},
                                  std::chrono::milliseconds{30'000});
  return c;
}

}  // namespace shopmesh::orders
