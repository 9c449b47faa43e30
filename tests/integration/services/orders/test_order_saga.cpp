// The order lifecycle across services: products → orders → ORDER_CREATED → stock reserves or
// rejects → orders confirms or rejects; the catalog's stock figure follows STOCK_CHANGED; a cart
// checkout ends CONFIRMED too. Needs the stock service (tag [saga]).
#include <catch2/catch.hpp>

#include "commerce_kit.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

using namespace shopmesh::testing::commerce;

namespace {

rapidjson::Document order(const std::string& id, const std::string& user) {
  return kit::json(kit::http("GET", orders_url() + "/api/orders/" + id, "", kit::as_user(user)).body);
}

std::int64_t catalog_stock(const std::string& product) {
  auto d = kit::json(kit::http("GET", products_url() + "/api/products/" + product).body);
  return d.IsObject() && d.HasMember("stock") ? d["stock"].GetInt64() : -1;
}

}  // namespace

TEST_CASE("saga: orders are confirmed while stock lasts, then rejected OUT_OF_STOCK", "[orders][saga]") {
  const std::string product = create_product_id({"Saga lamp", "d", "40.00", "", 5});
  REQUIRE(eventually([&] { return stock_knows(product); }, 30s));
  const std::string user = core::uuid_v7();
  auto place = [&](int quantity) {
    auto r = kit::http("POST", orders_url() + "/api/orders",
                       R"({"items":[{"productId":")" + product + R"(","quantity":)" + std::to_string(quantity) + "}]}",
                       kit::as_user(user));
    INFO(r.body);
    REQUIRE(r.status == 201);
    return kit::str(kit::json(r.body), "id");
  };
  const std::string ok = place(3);
  REQUIRE(eventually([&] { return kit::str(order(ok, user), "status") == "CONFIRMED"; }, 30s));
  CHECK(count_type(published("DATABASE_URL_ORDERS", events::topic::order, ok), "ORDER_CONFIRMED") == 1);
  // The catalog's figure follows the stock service's STOCK_CHANGED.
  CHECK(eventually([&] { return catalog_stock(product) == 2; }, 30s));

  const std::string too_many = place(3);
  REQUIRE(eventually([&] { return kit::str(order(too_many, user), "status") == "REJECTED"; }, 30s));
  auto rejected = order(too_many, user);
  CHECK(kit::str(rejected, "statusReason") == "OUT_OF_STOCK");
  CHECK(count_type(published("DATABASE_URL_ORDERS", events::topic::order, too_many), "ORDER_REJECTED") == 1);

  // Cancelling the confirmed order gives its units back.
  REQUIRE(kit::http("POST", orders_url() + "/api/orders/" + ok + "/cancel", "", kit::as_user(user)).status == 200);
  CHECK(eventually([&] { return catalog_stock(product) == 5; }, 30s));
}

TEST_CASE("saga: a cart checkout ends in a confirmed order", "[cart][saga]") {
  const std::string product = create_product_id({"Saga cup", "d", "2.50", "", 10});
  REQUIRE(eventually([&] { return stock_knows(product); }, 30s));
  const std::string user = core::uuid_v7();
  REQUIRE(kit::http("POST", cart_url() + "/api/cart/items", R"({"productId":")" + product + R"(","quantity":4})",
                    kit::as_user(user))
              .status == 201);
  auto r = kit::http("POST", cart_url() + "/api/cart/checkout", "", kit::as_user(user));
  INFO(r.body);
  REQUIRE(r.status == 201);
  const std::string id = kit::str(kit::json(r.body), "id");
  REQUIRE(eventually([&] { return kit::str(order(id, user), "status") == "CONFIRMED"; }, 30s));
  CHECK(eventually([&] { return catalog_stock(product) == 6; }, 30s));
}
