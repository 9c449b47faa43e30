// The cart service on the real stack: lines merged per product, shown with the catalog's current
// prices in exact cents, bounded quantities, and checkout into an order through the orders
// service (Idempotency-Key honoured; the cart is emptied only when the order exists).
#include <catch2/catch.hpp>

#include "../orders/commerce_kit.hpp"
#include "test_prelude.hpp"

using namespace shopmesh::testing::commerce;

namespace {

std::string url(const std::string& path = "") {
  return cart_url() + "/api/cart" + path;
}

core::HttpResult add(const std::string& user, const std::string& product, int quantity) {
  return kit::http("POST", url("/items"),
                   R"({"productId":")" + product + R"(","quantity":)" + std::to_string(quantity) + "}",
                   kit::as_user(user));
}

core::HttpResult checkout(const std::string& user, const std::string& body = "", const std::string& key = "") {
  auto headers = kit::as_user(user, "buyer@it.shopmesh.test");
  if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
  return kit::http("POST", url("/checkout"), body, headers);
}

rapidjson::Document cart_of(const std::string& user) {
  auto r = kit::http("GET", url(), "", kit::as_user(user));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return kit::json(r.body);
}

std::string field_of(const core::HttpResult& r) {
  auto d = kit::json(r.body);
  if (!d.IsObject() || !d.HasMember("errors") || d["errors"].Empty()) return {};
  return kit::str(d["errors"][0], "field");
}

}  // namespace

TEST_CASE("cart: lines merge, show current prices, and keep quantities in bounds", "[cart]") {
  const std::string mug = create_product_id({"Cart mug", "d", "19.99", "", 50});
  const std::string spoon = create_product_id({"Cart spoon", "d", "0.10", "", 50});
  const std::string user = core::uuid_v7();
  CHECK(cart_of(user)["items"].Size() == 0);

  auto first = add(user, mug, 2);
  INFO(first.body);
  CHECK(first.status == 201);
  auto merged = add(user, mug, 1);
  CHECK(merged.status == 200);
  REQUIRE(add(user, spoon, 7).status == 201);
  auto cart = cart_of(user);
  REQUIRE(cart["items"].Size() == 2);
  CHECK(kit::str(cart["items"][0], "productId") == mug);
  CHECK(kit::str(cart["items"][0], "name") == "Cart mug");
  CHECK(cart["items"][0]["quantity"].GetInt() == 3);
  const std::string body = kit::http("GET", url(), "", kit::as_user(user)).body;
  CHECK(body.find(R"("price":19.99,"quantity":3,"subtotal":59.97)") != std::string::npos);
  CHECK(body.find(R"("price":0.10,"quantity":7,"subtotal":0.70)") != std::string::npos);
  CHECK(body.find(R"("total":60.67)") != std::string::npos);

  // The cart shows the price of now, not of when the line was added.
  REQUIRE(kit::http("PATCH", products_url() + "/api/products/" + mug, R"({"price":18.00})", admin()).status == 200);
  CHECK(kit::http("GET", url(), "", kit::as_user(user)).body.find(R"("total":54.70)") != std::string::npos);

  auto too_many = add(user, mug, 98);
  CHECK(too_many.status == 422);
  CHECK(field_of(too_many) == "quantity");
  CHECK(add(user, mug, 101).status == 400);
  auto unknown = add(user, core::uuid_v7(), 1);
  CHECK(unknown.status == 422);
  CHECK(field_of(unknown) == "productId");
  const std::string off = create_product_id({"Cart off", "d", "1.00", "", 5, false});
  CHECK(add(user, off, 1).status == 422);

  auto patched = kit::http("PATCH", url("/items/" + mug), R"({"quantity":5})", kit::as_user(user));
  REQUIRE(patched.status == 200);
  CHECK(patched.body.find(R"("quantity":5,"subtotal":90.00)") != std::string::npos);
  CHECK(kit::http("PATCH", url("/items/" + mug), R"({"quantity":101})", kit::as_user(user)).status == 400);
  CHECK(kit::http("PATCH", url("/items/" + core::uuid_v7()), R"({"quantity":1})", kit::as_user(user)).status == 404);
  auto removed = kit::http("PATCH", url("/items/" + spoon), R"({"quantity":0})", kit::as_user(user));
  REQUIRE(removed.status == 200);
  CHECK(kit::json(removed.body)["items"].Size() == 1);
  CHECK(kit::http("DELETE", url("/items/" + spoon), "", kit::as_user(user)).status == 404);
  auto deleted = kit::http("DELETE", url("/items/" + mug), "", kit::as_user(user));
  REQUIRE(deleted.status == 200);
  CHECK(kit::json(deleted.body)["items"].Size() == 0);

  // Carts are per user; no identity, no cart.
  REQUIRE(add(user, spoon, 1).status == 201);
  CHECK(cart_of(core::uuid_v7())["items"].Size() == 0);
  CHECK(kit::http("DELETE", url(), "", kit::as_user(user)).status == 204);
  CHECK(cart_of(user)["items"].Size() == 0);
  CHECK(kit::http("GET", url()).status == 401);
}

TEST_CASE("cart: checkout creates the order and empties the cart, the key replays it", "[cart]") {
  const std::string mug = create_product_id({"Checkout mug", "d", "12.50", "", 100});
  const std::string user = core::uuid_v7();
  auto empty = checkout(user);
  CHECK(empty.status == 422);

  REQUIRE(add(user, mug, 2).status == 201);
  const std::string key = "co-" + core::uuid_v7();
  const std::string body =
      R"({"shippingAddress":{"line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}})";
  auto r = checkout(user, body, key);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto order = kit::json(r.body);
  const std::string id = kit::str(order, "id");
  CHECK(core::is_uuid(id));
  CHECK(r.header("location") == "/api/orders/" + id);
  CHECK(kit::str(order, "userId") == user);
  CHECK(kit::str(order, "status") == "PENDING");
  CHECK(r.body.find(R"("totalAmount":25.00)") != std::string::npos);
  CHECK(kit::str(order["shippingAddress"], "city") == "Springfield");
  CHECK(cart_of(user)["items"].Size() == 0);
  CHECK(kit::http("GET", orders_url() + "/api/orders/" + id, "", kit::as_user(user)).status == 200);

  // The same key and body: the same order, even though the cart is empty now.
  auto replay = checkout(
      user, R"({ "shippingAddress" : {"country":"US","postalCode":"12345","city":"Springfield","line1":"1 Main St"} })",
      key);
  INFO(replay.body);
  CHECK(replay.status == 200);
  CHECK(replay.header("idempotent-replayed") == "true");
  CHECK(kit::str(kit::json(replay.body), "id") == id);
  auto other = checkout(user, "{}", key);
  CHECK(other.status == 422);
  CHECK(field_of(other) == "Idempotency-Key");
  CHECK(kit::scalar<long long>(stack_var("DATABASE_URL_ORDERS"), "SELECT count(*) FROM orders WHERE user_id = $1::uuid",
                               user) == 1);
}

TEST_CASE("cart: a checkout the orders service refuses leaves the cart as it was", "[cart]") {
  const std::string ok = create_product_id({"Keep", "d", "1.00", "", 100});
  const std::string later_off = create_product_id({"Later off", "d", "1.00", "", 100});
  const std::string user = core::uuid_v7();
  REQUIRE(add(user, ok, 1).status == 201);
  REQUIRE(add(user, later_off, 1).status == 201);
  REQUIRE(kit::http("PATCH", products_url() + "/api/products/" + later_off, R"({"active":false})", admin()).status ==
          200);
  auto shown = cart_of(user);
  REQUIRE(shown["items"].Size() == 2);
  CHECK_FALSE(shown["items"][1]["available"].GetBool());
  auto refused = checkout(user);
  INFO(refused.body);
  CHECK(refused.status == 422);
  CHECK(field_of(refused) == "items[1].productId");
  CHECK(cart_of(user)["items"].Size() == 2);
  CHECK(checkout(user, R"({"shippingAddress":{"line1":""}})").status == 400);
  CHECK(checkout(user, R"({"shippingAddress":"somewhere"})").status == 400);
  CHECK(kit::http("POST", url("/checkout"), "").status == 401);
}
