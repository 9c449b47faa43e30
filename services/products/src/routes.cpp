#include "shopmesh/products/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/products/stock_client.hpp"
#include "shopmesh/products/store.hpp"

namespace shopmesh::products {
namespace {

using core::Request;
using core::Response;

// Writes need an administrator: 401 without an identity, 403 for anyone but ADMIN.
void require_admin(const Request& req) {
  core::require_admin(req, "Only administrators can change the catalog.");
}

// The product id of the path, lower-cased; anything but a UUID is a product that does not exist.
std::string product_id(const Request& req) {
  const std::string& id = req.param("id");
  if (!core::is_uuid(id)) throw core::not_found("No product with this id.");
  return core::ascii_lower(id);
}

events::EventContext context_of(const Request& req) {
  return {req.request_id, "", req.traceparent};
}

ParamLookup params_of(const Request& req) {
  return [&req](std::string_view name) { return req.query_param(name); };
}

Response created(const Product& p) {
  auto r = Response::json(201, product_json(p));
  r.headers.set("Location", "/api/products/" + p.id);
  return r;
}

Response product_or_404(const std::optional<Product>& p) {
  if (!p) throw core::not_found("No product with this id.");
  return Response::json(200, product_json(*p));
}

}  // namespace

void register_routes(core::Router& router, ProductStore& store, StockAdjuster& stock) {
  router.add("GET", "/api/products", [&store](Request& req) {
    return Response::json(200, page_json(store.list(parse_list_query(params_of(req)))));
  });
  // Inactive products stay readable by id (with "active": false) so that links and order
  // histories keep working; lists and new orders leave them out.
  router.add("GET", "/api/products/{id}",
             [&store](Request& req) { return product_or_404(store.find(product_id(req))); });
  router.add("POST", "/api/products", [&store](Request& req) {
    require_admin(req);
    return created(store.create(parse_new_product(req.body), context_of(req)));
  });
  // `stock` in a product update (seed 001's clients send it) sets the level at the stock service
  // once the product is saved, as PATCH /api/products/{id}/stock {"set": n} would.
  auto set_level = [&store, &stock](const std::string& id, std::optional<std::int64_t> level, const Request& req,
                                    std::optional<Product> saved) {
    if (!saved || !level) return saved;
    const auto answer = stock.adjust(id, StockChange{std::nullopt, *level}, {req.request_id, req.traceparent});
    store.set_stock(id, answer.available, answer.changed_at);
    saved->stock = answer.available;
    return saved;
  };
  router.add("PUT", "/api/products/{id}", [&store, set_level](Request& req) {
    require_admin(req);
    const auto id = product_id(req);
    auto replacement = parse_product_replacement(req.body);
    if (replacement.fields.sku.empty()) {  // not given: the product keeps its sku
      const auto current = store.find(id);
      if (!current) throw core::not_found("No product with this id.");
      replacement.fields.sku = current->sku;
    }
    return product_or_404(
        set_level(id, replacement.stock, req, store.replace(id, replacement.fields, context_of(req))));
  });
  router.add("PATCH", "/api/products/{id}", [&store, set_level](Request& req) {
    require_admin(req);
    const auto id = product_id(req);
    const auto patch = parse_product_patch(req.body);
    return product_or_404(set_level(id, patch.stock, req, store.patch(id, patch, context_of(req))));
  });
  router.add("DELETE", "/api/products/{id}", [&store](Request& req) {
    require_admin(req);
    if (!store.remove(product_id(req), context_of(req))) throw core::not_found("No product with this id.");
    return Response::no_content();
  });
  // The stock service owns levels: the change is applied there, synchronously, and the answer
  // refreshes this service's projection at once (STOCK_CHANGED keeps it in step afterwards).
  router.add("PATCH", "/api/products/{id}/stock", [&store, &stock](Request& req) {
    require_admin(req);
    const auto id = product_id(req);
    const auto change = parse_stock_change(req.body);
    if (!store.find(id)) throw core::not_found("No product with this id.");
    const auto level = stock.adjust(id, change, {req.request_id, req.traceparent});
    store.set_stock(id, level.available, level.changed_at);
    return Response::json(200, stock_level_json(id, level.available, level.reserved));
  });

  router.add("GET", "/api/categories", [&store](Request& req) {
    return Response::json(200, category_page_json(store.list_categories(parse_paging(params_of(req), 100))));
  });
  router.add("POST", "/api/categories", [&store](Request& req) {
    require_admin(req);
    const auto c = store.create_category(parse_new_category(req.body));
    auto r = Response::json(201, category_json(c));
    r.headers.set("Location", "/api/categories/" + c.id);
    return r;
  });

  // Service-to-service (cart, orders; never routed by the gateway): current data of many
  // products at once, inactive ones included (with "active": false), deleted ones left out.
  router.add("GET", "/internal/products", [&store](Request& req) {
    const auto ids = parse_id_list(req.query_param("ids").value_or(""));
    return Response::json(200, items_json(store.find_many(ids)));
  });
}

}  // namespace shopmesh::products
