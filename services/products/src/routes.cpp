#include "routes.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "store.hpp"

namespace shopmesh::products {

void register_routes(core::Router& router, ProductStore& store) {
  router.add("GET", "/api/products", [&store](core::Request& req) {
    auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return core::Response::json(200, page_json(store.list(query)));
  });
  router.add("GET", "/api/products/{id}", [&store](core::Request& req) {
    const auto& id = req.param("id");
    if (!core::is_uuid(id)) throw core::not_found("No product with this id.");
    auto product = store.find(id);
    if (!product) throw core::not_found("No product with this id.");
    return core::Response::json(200, product_json(*product));
  });
}

}  // namespace shopmesh::products
