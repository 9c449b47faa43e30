// The transforms and dialects gateway/routes.json may name, each wired from the plain functions of
// dialects/seed003.hpp and dialects/seed004.hpp.
#include "shopmesh/gateway/dialects.hpp"

#include "shopmesh/gateway/dialects/seed003.hpp"
#include "shopmesh/gateway/dialects/seed004.hpp"

namespace shopmesh::gateway {
namespace {

void seed004_envelope(DialectAnswer& a, const DialectContext& ctx) {
  if (a.status >= 400) {
    a.body = seed004::failure(a.status, a.body, ctx.path, ctx.timestamp);
    return;
  }
  if (a.status == 204) {  // the envelope is content: 200, as seed 004 answered a deletion
    a.status = 200;
    a.body = ctx.method == "DELETE" ? R"({"message":"Deleted."})" : "null";
  }
  a.body = seed004::success(a.status, a.body);
}

const Dialect kSeed003{"seed003", nullptr};  // FastAPI: problem+json's `detail` is what its clients read
const Dialect kSeed004{"seed004", seed004_envelope};

// A body mapping applies to a request that has a body; one without is left to the service to refuse.
template <std::string (*Map)(std::string_view)>
void map_body(DialectRequest& r) {
  if (!r.body.empty()) r.body = Map(r.body);
}

const Transform kTransforms[] = {
    {"seed003.books", &kSeed003, [](DialectRequest& r) { r.query = seed003::books_query(r.query); },
     [](DialectAnswer& a, const DialectContext&) { a.body = seed003::books_page(a.body); }},
    {"seed003.book", &kSeed003,
     [](DialectRequest& r) {
       if (!r.body.empty()) r.body = seed003::product_from_book(r.body, r.method == "POST");
     },
     [](DialectAnswer& a, const DialectContext&) { a.body = seed003::book_from_product(a.body); }},
    {"seed003.order", &kSeed003, map_body<seed003::order_from_seed>,
     [](DialectAnswer& a, const DialectContext&) {
       a.body = seed003::seed_order(a.body);
       if (a.status == 201) a.status = 200;  // seed 003 answered a new order with FastAPI's default 200
     }},
    {"seed003.orders", &kSeed003, [](DialectRequest& r) { r.query = "?limit=100"; },
     [](DialectAnswer& a, const DialectContext&) { a.body = seed003::seed_orders(a.body); }},
    {"seed004.data", &kSeed004, nullptr, nullptr},
    {"seed004.login", &kSeed004, nullptr,
     [](DialectAnswer& a, const DialectContext&) { a.body = seed004::login(a.body); }},
    {"seed004.users", &kSeed004, nullptr,
     [](DialectAnswer& a, const DialectContext&) { a.body = seed004::users(a.body); }},
    {"seed004.products", &kSeed004, nullptr,
     [](DialectAnswer& a, const DialectContext&) { a.body = seed004::products_page(a.body); }},
    {"seed004.product", &kSeed004, map_body<seed004::product_from_seed>,
     [](DialectAnswer& a, const DialectContext&) { a.body = seed004::seed_product(a.body); }},
    {"seed004.cart", &kSeed004, map_body<seed004::cart_item_from_seed>,
     [](DialectAnswer& a, const DialectContext& ctx) { a.body = seed004::seed_cart(a.body, ctx.user_id); }},
    {"seed004.order", &kSeed004, map_body<seed004::order_from_seed>,
     [](DialectAnswer& a, const DialectContext&) { a.body = seed004::seed_order(a.body); }},
};

}  // namespace

const Transform* find_transform(std::string_view name) {
  for (const auto& t : kTransforms)
    if (t.name == name) return &t;
  return nullptr;
}

const Dialect* find_dialect(std::string_view name) {
  for (const Dialect* d : {&kSeed003, &kSeed004})
    if (d->name == name) return d;
  return nullptr;
}

}  // namespace shopmesh::gateway
