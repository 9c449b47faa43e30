// The cart domain: line bodies, the cart shown at current prices in exact cents, and the
// checkout body with its Idempotency-Key fingerprint.
#include <catch2/catch.hpp>

#include "../rejected.hpp"

#include "shopmesh/cart/cart.hpp"
#include "shopmesh/cart/orders_client.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/mesh_auth.hpp"

using namespace shopmesh;

using shopmesh::testing::Fields;
using shopmesh::testing::rejected;

namespace {

const std::string kA = "0190a3c2-7b1e-7c3d-8e4f-00000000000a";
const std::string kB = "0190a3c2-7b1e-7c3d-8e4f-00000000000b";
const std::string kC = "0190a3c2-7b1e-7c3d-8e4f-00000000000c";



}  // namespace

TEST_CASE("cart: line bodies are validated", "[cart]") {
  auto line = cart::parse_add_item(R"({"productId":"0190A3C2-7B1E-7C3D-8E4F-00000000000A","quantity":3,"price":0})");
  CHECK(line.product_id == kA);
  CHECK(line.quantity == 3);
  CHECK(rejected([] { cart::parse_add_item("{}"); }).second == Fields{"productId", "quantity"});
  CHECK(rejected([] { cart::parse_add_item(R"({"productId":"x","quantity":101})"); }).second ==
        Fields{"productId", "quantity"});
  CHECK(rejected([&] { cart::parse_add_item(R"({"productId":")" + kA + R"(","quantity":0})"); }).second ==
        Fields{"quantity"});
  CHECK(cart::parse_quantity_update(R"({"quantity":0})") == 0);
  CHECK(cart::parse_quantity_update(R"({"quantity":100})") == 100);
  CHECK(rejected([] { cart::parse_quantity_update(R"({"quantity":-1})"); }).second == Fields{"quantity"});
  CHECK(rejected([] { cart::parse_quantity_update(R"({"quantity":"2"})"); }).second == Fields{"quantity"});
}

TEST_CASE("cart: shown with current prices, unavailable lines count nothing", "[cart]") {
  std::map<std::string, products::client::CatalogProduct> catalog;
  catalog[kA] = {kA, "SKU-A", "Mug", core::Cents{1999}, true, 5};
  catalog[kB] = {kB, "SKU-B", "Old lamp", core::Cents{500}, false, 0};
  auto view = cart::view_cart({{kA, 3}, {kB, 1}, {kC, 2}}, catalog);
  REQUIRE(view.items.size() == 3);
  CHECK(view.items[0].subtotal.value == 5997);
  CHECK(view.items[0].available);
  CHECK_FALSE(view.items[1].available);
  CHECK(*view.items[1].name == "Old lamp");
  CHECK_FALSE(view.items[2].name);  // deleted from the catalog
  CHECK(view.total.value == 5997);
  const auto json = cart::cart_json(view);
  CHECK(json.find(R"("price":19.99,"quantity":3,"subtotal":59.97,"available":true)") != std::string::npos);
  CHECK(json.find(R"("total":59.97)") != std::string::npos);
  CHECK(json.find(R"("name":null,"price":null)") != std::string::npos);
  CHECK(cart::cart_json(cart::view_cart({}, {})) == R"({"items":[],"total":0.00,"currency":"USD"})");
}

TEST_CASE("cart: the checkout fingerprint is canonical", "[cart]") {
  auto fp = [](std::string_view body) { return cart::fingerprint(cart::parse_checkout(body)); };
  CHECK(fp("") == fp("{}"));
  CHECK(fp("{}") == fp(R"({"shippingAddress":null})"));
  CHECK(fp(R"({"shippingAddress":{"line1":"1 Main","city":"X"}})") ==
        fp(R"({ "shippingAddress" : { "city":"X", "line1":"1 Main" }, "ignored": true })"));
  CHECK(fp(R"({"shippingAddress":{"line1":"1 Main","city":"X"}})") !=
        fp(R"({"shippingAddress":{"line1":"2 Main","city":"X"}})"));
  CHECK(rejected([] { cart::parse_checkout(R"({"shippingAddress":"here"})"); }).second == Fields{"shippingAddress"});
  CHECK(rejected([] { cart::parse_checkout("[1]"); }).first == 400);
  CHECK(cart::idempotency_key_problem("a b"));
  CHECK_FALSE(cart::idempotency_key_problem("abc-123"));
}

TEST_CASE("cart: the order body lists the lines and passes the address on", "[cart]") {
  auto request = cart::parse_checkout(R"({"shippingAddress":{"line1":"1 Main"}})");
  CHECK(cart::order_body({{kA, 2}, {kB, 1}}, request) ==
        R"({"items":[{"productId":")" + kA + R"(","quantity":2},{"productId":")" + kB +
            R"(","quantity":1}],"shippingAddress":{"line1":"1 Main"}})");
  CHECK(cart::order_body({{kA, 1}}, cart::parse_checkout("")) ==
        R"({"items":[{"productId":")" + kA + R"(","quantity":1}],"shippingAddress":null})");
}

TEST_CASE("cart: an unreachable orders service is a 503 (core::Unavailable)", "[cart]") {
  const core::MeshAuth mesh("cart", {"0123456789abcdef0123456789abcdef"});
  cart::HttpOrders orders("http://127.0.0.1:1", std::chrono::milliseconds(500), mesh);
  cart::Identity who;
  who.user_id = kA;
  who.request_id = "rid";
  CHECK_THROWS_AS(orders.create(R"({"items":[]})", "key-1", who), core::Unavailable);
  CHECK_THROWS_AS(orders.get(kB, who), core::Unavailable);
}
