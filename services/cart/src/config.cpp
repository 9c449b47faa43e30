#include "shopmesh/cart/config.hpp"

#include "shopmesh/core/config.hpp"

namespace shopmesh::cart {
namespace {

std::string base_url(core::EnvReader& env, const char* name, const char* fallback) {
  std::string url = env.str(name, fallback);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    env.fail(name, "must be an http:// or https:// URL");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

CartConfig CartConfig::from_env(core::EnvReader& env) {
  CartConfig c;
  c.products_url = base_url(env, "PRODUCTS_URL", "http://127.0.0.1:8083");
  c.products_timeout = env.millis("PRODUCTS_CALL_TIMEOUT_MS", c.products_timeout, std::chrono::milliseconds{50},
                                  std::chrono::milliseconds{30'000});
  c.orders_url = base_url(env, "ORDERS_URL", "http://127.0.0.1:8085");
  c.orders_timeout = env.millis("ORDERS_CALL_TIMEOUT_MS", c.orders_timeout, std::chrono::milliseconds{50},
                                std::chrono::milliseconds{60'000});
  return c;
}

}  // namespace shopmesh::cart
