// The orders service's routes, driven with core::Request straight through the Router that
// register_routes fills, as main wires it: a real OrderStore on a scratch database (the service's
// migrations, real PostgreSQL) and a catalog that answers from a map instead of the products
// service. A DomainError becomes its status the way the HTTP server maps it (core::status_of).
#include <catch2/catch.hpp>
#include <map>
#include <rapidjson/document.h>
#include <vector>

#include "bus_fixture.hpp"
#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/orders/ordering.hpp"
#include "shopmesh/orders/routes.hpp"
#include "shopmesh/orders/store.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::orders {
const std::vector<core::Migration>& migrations();
}

using namespace shopmesh;
using namespace std::chrono_literals;

namespace {

// The catalog as the products service would answer it, from a fixed map.
class FixedCatalog : public products::client::Catalog {
 public:
  std::map<std::string, products::client::CatalogProduct> lookup(const std::vector<std::string>& ids,
                                                                 const products::client::Trace&) override {
    std::map<std::string, products::client::CatalogProduct> out;
    for (const auto& id : ids)
      if (auto it = products.find(id); it != products.end()) out.emplace(id, it->second);
    return out;
  }
  std::map<std::string, products::client::CatalogProduct> products;
};

struct Answer {
  int status = 0;
  std::string body;
  core::Headers headers;
};

using Identity = std::vector<std::pair<std::string, std::string>>;

Identity as_user(const std::string& id) {
  return {{"X-User-Id", id}, {"X-User-Role", "USER"}};
}
Identity as_admin(const std::string& id) {
  return {{"X-User-Id", id}, {"X-User-Role", "ADMIN"}};
}

struct Fixture {
  Fixture() {
    catalog.products[product] = {product, "IT-ROUTES", "Route mug", core::Cents{1250}, true, 10};
    orders::register_routes(router, store, ordering);
  }

  // The answer to one request: 404/405 when no route matches, else the handler's response or the
  // status of the DomainError it threw.
  Answer call(const std::string& method, const std::string& target, const Identity& identity,
              const std::string& body = "", const Identity& headers = {}) {
    core::Request req;
    req.method = method;
    req.target = target;
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    for (const auto& [k, v] : identity) req.headers.add(k, v);
    for (const auto& [k, v] : headers) req.headers.add(k, v);
    if (!body.empty()) req.headers.add("Content-Type", "application/json");
    req.body = body;
    req.request_id = "it-" + core::uuid_v7();
    req.caller = "gateway";
    const auto match = router.match(req);
    if (match.handler == nullptr) return {match.path_matched ? 405 : 404, "", {}};
    try {
      auto r = (*match.handler)(req);
      return {r.status, std::move(r.body), std::move(r.headers)};
    } catch (const core::DomainError& e) {
      return {core::status_of(e.fault()), e.what(), {}};
    }
  }

  std::string order_body(int quantity = 2) const {
    return R"({"items":[{"productId":")" + product + R"(","quantity":)" + std::to_string(quantity) +
           R"(}],"shippingAddress":{"line1":"1 Route Rd","city":"Springfield","postalCode":"12345","country":"US"}})";
  }

  // Places an order of `user` through the route; its id.
  std::string place(const std::string& user) {
    const auto a = call("POST", "/api/orders", as_user(user), order_body());
    INFO(a.body);
    REQUIRE(a.status == 201);
    return id_of(a);
  }

  static std::string id_of(const Answer& a) {
    rapidjson::Document d;
    d.Parse(a.body.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("id") || !d["id"].IsString()) return "";
    return d["id"].GetString();
  }

  testing::TestDatabase db{"it_orders_routes", {{"events", &events::migrations()}, {"orders", &orders::migrations()}}};
  testing::Infra infra;
  core::PgPool pool{db.url, 2, 10s, infra.log};
  orders::OrderStore store{pool, events::Outbox("orders")};
  FixedCatalog catalog;
  orders::Ordering ordering{store, catalog};
  core::Router router;
  const std::string product = core::uuid_v7();
};

}  // namespace

TEST_CASE("orders routes: unknown and other users' orders are 404", "[orders-routes]") {
  Fixture f;
  const std::string ann = core::uuid_v7();
  const std::string id = f.place(ann);
  CHECK(f.call("GET", "/api/orders/" + id, as_user(ann)).status == 200);
  CHECK(f.call("GET", "/api/orders/" + id, as_admin(core::uuid_v7())).status == 200);
  CHECK(f.call("GET", "/api/orders/" + id, as_user(core::uuid_v7())).status == 404);
  CHECK(f.call("POST", "/api/orders/" + id + "/cancel", as_user(core::uuid_v7())).status == 404);
  CHECK(f.call("GET", "/api/orders/" + core::uuid_v7(), as_user(ann)).status == 404);
  CHECK(f.call("GET", "/api/orders/not-an-id", as_user(ann)).status == 404);
  CHECK(f.call("GET", "/api/orders/" + id + "/items", as_user(ann)).status == 404);  // no such route
  CHECK(f.call("PUT", "/api/orders/" + id, as_user(ann)).status == 405);
}

TEST_CASE("orders routes: a bad body is 400, an unknown product 422", "[orders-routes]") {
  Fixture f;
  const auto user = as_user(core::uuid_v7());
  CHECK(f.call("POST", "/api/orders", user, "{").status == 400);
  CHECK(f.call("POST", "/api/orders", user, R"({"items":[]})").status == 400);
  CHECK(f.call("POST", "/api/orders", user, f.order_body(0)).status == 400);
  CHECK(f.call("POST", "/api/orders", user, f.order_body(), {{"Idempotency-Key", std::string(256, 'k')}}).status ==
        400);
  const std::string unknown = R"({"items":[{"productId":")" + core::uuid_v7() + R"(","quantity":1}]})";
  CHECK(f.call("POST", "/api/orders", user, unknown).status == 422);
  CHECK(f.call("GET", "/api/orders?limit=0", user).status == 400);
  CHECK(f.call("PATCH", "/api/orders/" + core::uuid_v7() + "/status", as_admin(core::uuid_v7()), R"({"status":"LOST"})")
            .status == 400);
  CHECK(f.store.list({}, {core::uuid_v7(), true}).total == 0);  // none of them made an order
}

TEST_CASE("orders routes: no caller is 401, customers' admin moves 403", "[orders-routes]") {
  Fixture f;
  const std::string ann = core::uuid_v7();
  const std::string id = f.place(ann);
  CHECK(f.call("POST", "/api/orders", {}, f.order_body()).status == 401);
  CHECK(f.call("GET", "/api/orders", {}).status == 401);
  CHECK(f.call("GET", "/api/orders/" + id, {}).status == 401);
  CHECK(f.call("GET", "/api/orders/" + id, {{"X-User-Id", "not-a-uuid"}, {"X-User-Role", "USER"}}).status == 401);
  CHECK(f.call("POST", "/api/orders/" + id + "/cancel", {}).status == 401);
  CHECK(f.call("PATCH", "/api/orders/" + id + "/status", as_user(ann), R"({"status":"SHIPPED"})").status == 403);
  CHECK(f.call("GET", "/api/orders?userId=" + core::uuid_v7(), as_user(ann)).status == 403);
  CHECK(f.call("GET", "/api/orders?userId=" + ann, as_user(ann)).status == 200);
  CHECK(f.call("GET", "/api/orders?userId=" + ann, as_admin(core::uuid_v7())).status == 200);
}

TEST_CASE("orders routes: a replayed key is 200, a second cancel 409", "[orders-routes]") {
  Fixture f;
  const std::string ann = core::uuid_v7();
  const Identity key{{"Idempotency-Key", "routes-" + core::uuid_v7()}};
  const auto first = f.call("POST", "/api/orders", as_user(ann), f.order_body(), key);
  REQUIRE(first.status == 201);
  const std::string id = Fixture::id_of(first);
  CHECK(first.headers.get("Location").value_or("") == "/api/orders/" + id);
  const auto replay = f.call("POST", "/api/orders", as_user(ann), f.order_body(), key);
  CHECK(replay.status == 200);
  CHECK(Fixture::id_of(replay) == id);
  CHECK(replay.headers.get("Idempotent-Replayed").value_or("") == "true");
  CHECK(f.call("POST", "/api/orders", as_user(ann), f.order_body(3), key).status == 422);

  CHECK(f.call("POST", "/api/orders/" + id + "/cancel", as_user(ann)).status == 200);
  CHECK(f.call("POST", "/api/orders/" + id + "/cancel", as_user(ann)).status == 409);
  CHECK(f.call("DELETE", "/api/orders/" + id, as_user(ann)).status == 409);
  CHECK(f.call("PATCH", "/api/orders/" + id + "/status", as_admin(core::uuid_v7()), R"({"status":"SHIPPED"})").status ==
        409);
}
