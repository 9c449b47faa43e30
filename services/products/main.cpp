// The products service: the catalog over PostgreSQL.
#include <memory>

#include "routes.hpp"
#include "shopmesh/core/service.hpp"
#include "store.hpp"

namespace shopmesh::products {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  std::unique_ptr<products::ProductStore> store;
  return core::run_service({"products", 8083, {{"products", &products::migrations()}}, [&](core::ServiceContext& ctx) {
                              store = std::make_unique<products::ProductStore>(*ctx.db);
                              products::register_routes(ctx.router, *store);
                            }});
}
