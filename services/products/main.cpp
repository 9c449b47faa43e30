// The products service: the catalog over PostgreSQL. Catalog writes publish PRODUCT_* events
// through the outbox; the stock figure is a projection of the stock service's levels (consumer
// group "products" on stock.events), and level changes are forwarded to the stock service.
#include <memory>

#include "shopmesh/core/service.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/products/config.hpp"
#include "shopmesh/products/consumers.hpp"
#include "shopmesh/products/routes.hpp"
#include "shopmesh/products/stock_client.hpp"
#include "shopmesh/products/store.hpp"

namespace shopmesh::products {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<products::ProductStore> store;
  std::unique_ptr<products::StockClient> stock;
  return core::run_service(
      {"products",
       8083,
       {{"events", &events::migrations()}, {"products", &products::migrations()}},
       [&](core::ServiceContext& ctx) {
         const auto config = products::ProductsConfig::from_env(ctx.env);
         store = std::make_unique<products::ProductStore>(*ctx.db, events::Outbox("products"));
         stock = std::make_unique<products::StockClient>(config.stock_url, config.stock_timeout, ctx.mesh);
         products::register_routes(ctx.router, *store, *stock);
         events::add_outbox_relay(ctx, "products");
         products::register_consumers(events::add_consumer(ctx, "products", {events::topic::stock}), *store);
       }});
}
