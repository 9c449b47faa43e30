#include "shopmesh/cart/routes.hpp"

#include "shopmesh/cart/cart.hpp"
#include "shopmesh/cart/checkout.hpp"
#include "shopmesh/cart/store.hpp"
#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::cart {
namespace {

using core::Request;
using core::Response;

Identity identity_of(const Request& req) {
  Identity who;
  core::Caller caller = core::require_caller(req);
  who.user_id = std::move(caller.user_id);
  who.role = std::move(caller.role);
  who.email = std::move(caller.email);
  who.session_id = std::move(caller.session_id);
  who.request_id = req.request_id;
  who.traceparent = req.traceparent;
  return who;
}

std::string line_id(const Request& req) {
  const auto& id = req.param("productId");
  if (!core::is_uuid(id)) throw core::not_found("The cart has no line for this product.");
  return core::ascii_lower(id);
}

products::client::Trace trace_of(const Request& req) {
  return {req.request_id, req.traceparent};
}

}  // namespace

void register_routes(core::Router& router, CartStore& store, products::client::Catalog& catalog, Checkout& checkout) {
  // The cart as it would be ordered now: current names and prices from the catalog.
  auto show = [&store, &catalog](const Request& req, const std::string& user_id, int status) {
    const auto lines = store.lines(user_id);
    std::vector<std::string> ids;
    for (const auto& l : lines) ids.push_back(l.product_id);
    const auto products =
        ids.empty() ? std::map<std::string, products::client::CatalogProduct>{} : catalog.lookup(ids, trace_of(req));
    return Response::json(status, cart_json(view_cart(lines, products)));
  };

  router.add("GET", "/api/cart", [show](Request& req) { return show(req, identity_of(req).user_id, 200); });

  router.add("POST", "/api/cart/items", [&store, &catalog, show](Request& req) {
    const auto who = identity_of(req);
    const CartLine line = parse_add_item(req.body);
    const auto found = catalog.lookup({line.product_id}, trace_of(req));
    auto it = found.find(line.product_id);
    if (it == found.end())
      throw core::refused("The product cannot be added.", {{"productId", "is not a product in the catalog"}});
    if (!it->second.active)
      throw core::refused("The product cannot be added.", {{"productId", "is not available for ordering"}});
    switch (store.add(who.user_id, line)) {
      case CartStore::AddOutcome::added:
        return show(req, who.user_id, 201);
      case CartStore::AddOutcome::merged:
        return show(req, who.user_id, 200);
      case CartStore::AddOutcome::line_full:
        throw core::refused(
            "The line would exceed the largest quantity.",
            {{"quantity", "the line would hold more than " + std::to_string(kMaxQuantity) + " units"}});
      case CartStore::AddOutcome::cart_full:
        throw core::refused("The cart is full.",
                                  {{"productId", "the cart already holds " + std::to_string(kMaxLines) + " products"}});
    }
    return show(req, who.user_id, 200);
  });

  router.add("PATCH", "/api/cart/items/{productId}", [&store, show](Request& req) {
    const auto who = identity_of(req);
    const auto product_id = line_id(req);
    const auto quantity = parse_quantity_update(req.body);
    if (!store.set_quantity(who.user_id, product_id, quantity))
      throw core::not_found("The cart has no line for this product.");
    return show(req, who.user_id, 200);
  });

  router.add("DELETE", "/api/cart/items/{productId}", [&store, show](Request& req) {
    const auto who = identity_of(req);
    if (!store.remove(who.user_id, line_id(req))) throw core::not_found("The cart has no line for this product.");
    return show(req, who.user_id, 200);
  });

  router.add("DELETE", "/api/cart", [&store](Request& req) {
    store.clear(identity_of(req).user_id);
    return Response::no_content();
  });

  router.add("POST", "/api/cart/checkout", [&checkout](Request& req) {
    const auto who = identity_of(req);
    std::optional<std::string> key;
    if (auto k = req.headers.get("Idempotency-Key")) key = std::string(*k);
    auto result = checkout.run(who, req.body, key);
    Response r;
    r.status = result.answer.status;
    r.body = std::move(result.answer.body);
    if (!result.answer.content_type.empty()) r.content_type = result.answer.content_type;
    if (!result.answer.location.empty()) r.headers.set("Location", result.answer.location);
    if (result.replayed) r.headers.set("Idempotent-Replayed", "true");
    return r;
  });
}

}  // namespace shopmesh::cart
