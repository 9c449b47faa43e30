// The cart service: per-user carts over PostgreSQL, shown with the catalog's current prices
// (products service), checked out into an order through the orders service.
#include <memory>

#include "shopmesh/cart/checkout.hpp"
#include "shopmesh/cart/config.hpp"
#include "shopmesh/cart/orders_client.hpp"
#include "shopmesh/cart/routes.hpp"
#include "shopmesh/cart/store.hpp"
#include "shopmesh/core/service.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::cart {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<cart::CartStore> store;
  std::unique_ptr<products::client::HttpCatalog> catalog;
  std::unique_ptr<cart::HttpOrders> orders;
  std::unique_ptr<cart::Checkout> checkout;
  return core::run_service({"cart", 8084, {{"cart", &cart::migrations()}}, [&](core::ServiceContext& ctx) {
                              const auto config = cart::CartConfig::from_env(ctx.env);
                              store = std::make_unique<cart::CartStore>(*ctx.db);
                              catalog = std::make_unique<products::client::HttpCatalog>(config.products_url,
                                                                                        config.products_timeout, ctx.mesh);
                              orders = std::make_unique<cart::HttpOrders>(config.orders_url, config.orders_timeout, ctx.mesh);
                              checkout = std::make_unique<cart::Checkout>(*store, *orders);
                              cart::register_routes(ctx.router, *store, *catalog, *checkout);
                            }});
}
