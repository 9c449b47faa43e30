// The orders domain: request validation with field paths, Idempotency-Key fingerprints over the
// canonical body, exact pricing in cents, the status machine, and the JSON shape.
#include <catch2/catch.hpp>

#include "../rejected.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/orders/order.hpp"

using namespace shopmesh;
using orders::OrderStatus;

using shopmesh::testing::Fields;
using shopmesh::testing::rejected;

namespace {

const std::string kA = "0190a3c2-7b1e-7c3d-8e4f-00000000000a";
const std::string kB = "0190a3c2-7b1e-7c3d-8e4f-00000000000b";



products::client::CatalogProduct product(const std::string& id, const std::string& name, std::int64_t cents,
                                         bool active = true) {
  products::client::CatalogProduct p;
  p.id = id;
  p.name = name;
  p.price = core::Cents{cents};
  p.active = active;
  return p;
}

}  // namespace

TEST_CASE("orders: a create body is read, client-sent prices, status and user are ignored", "[orders]") {
  auto r = orders::parse_order_request(
      R"({"userId":"someone-else","status":"DELIVERED","totalAmount":0,)"
      R"("items":[{"productId":")" +
      kA +
      R"(","quantity":2,"unitPrice":0.01,"productName":"free"}],)"
      R"("shippingAddress":{"line1":" 1 Main St ","line2":null,"city":"Springfield","postalCode":"12345","country":"us"}})");
  REQUIRE(r.items.size() == 1);
  CHECK(r.items[0].product_id == kA);
  CHECK(r.items[0].quantity == 2);
  REQUIRE(r.shipping_address);
  CHECK(r.shipping_address->line1 == "1 Main St");
  CHECK_FALSE(r.shipping_address->line2);
  CHECK(r.shipping_address->country == "US");
  CHECK_FALSE(
      orders::parse_order_request(R"({"items":[{"productId":")" + kA + R"(","quantity":1}],"shippingAddress":null})")
          .shipping_address);
}

TEST_CASE("orders: every bad field of a create body is named with its path", "[orders]") {
  auto [status, fields] = rejected([] {
    orders::parse_order_request(R"({"items":[{"productId":")" + kA +
                                R"(","quantity":0},)"
                                R"({"productId":"nope","quantity":1},{"productId":")" +
                                kA +
                                R"(","quantity":1.5},)"
                                R"({"quantity":1001}, 7],"shippingAddress":{"line1":"","city":"X"}})");
  });
  CHECK(status == 400);
  CHECK(fields == Fields{"items[0].quantity", "items[1].productId", "items[2].productId", "items[2].quantity",
                         "items[3].productId", "items[3].quantity", "items[4]", "shippingAddress.line1",
                         "shippingAddress.postalCode", "shippingAddress.country"});
  CHECK(rejected([] { orders::parse_order_request("{}"); }).second == Fields{"items"});
  CHECK(rejected([] { orders::parse_order_request(R"({"items":[]})"); }).second == Fields{"items"});
  CHECK(rejected([] { orders::parse_order_request(R"({"items":{}})"); }).second == Fields{"items"});
  CHECK(rejected([] {
          orders::parse_order_request(R"({"items":[{"productId":")" + kA +
                                      R"(","quantity":1}],"shippingAddress":"x"})");
        }).second == Fields{"shippingAddress"});
  CHECK(rejected([] { orders::parse_order_request("not json"); }).first == 400);
}

TEST_CASE("orders: the fingerprint ignores member order, id case and ignored fields", "[orders]") {
  auto fp = [](const std::string& body) { return orders::request_fingerprint(orders::parse_order_request(body)); };
  const std::string base = fp(R"({"items":[{"productId":")" + kA +
                              R"(","quantity":2}],)"
                              R"("shippingAddress":{"line1":"1 Main","city":"X","postalCode":"1","country":"US"}})");
  CHECK(base.size() == 64);
  CHECK(base.find_first_not_of("0123456789abcdef") == std::string::npos);
  std::string upper = kA;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(fp(R"({"shippingAddress":{"country":"us","postalCode":"1","city":"X","line1":" 1 Main","line2":null},)"
           R"("note":"hi","items":[{"quantity":2,"productId":")" +
           upper + R"(","unitPrice":1}]})") == base);
  CHECK(fp(R"({"items":[{"productId":")" + kA +
           R"(","quantity":3}],)"
           R"("shippingAddress":{"line1":"1 Main","city":"X","postalCode":"1","country":"US"}})") != base);
  CHECK(fp(R"({"items":[{"productId":")" + kA + R"(","quantity":2}]})") != base);
  // Line order is part of the request.
  const auto ab =
      fp(R"({"items":[{"productId":")" + kA + R"(","quantity":1},{"productId":")" + kB + R"(","quantity":1}]})");
  const auto ba =
      fp(R"({"items":[{"productId":")" + kB + R"(","quantity":1},{"productId":")" + kA + R"(","quantity":1}]})");
  CHECK(ab != ba);
}

TEST_CASE("orders: Idempotency-Key values are bounded visible ASCII", "[orders]") {
  CHECK_FALSE(orders::idempotency_key_problem("order-2026-11-21-0001"));
  CHECK_FALSE(orders::idempotency_key_problem(std::string(255, 'k')));
  CHECK(orders::idempotency_key_problem(""));
  CHECK(orders::idempotency_key_problem(std::string(256, 'k')));
  CHECK(orders::idempotency_key_problem("with space"));
  CHECK(orders::idempotency_key_problem("tab\tkey"));
}

TEST_CASE("orders: prices come from the catalog and totals are exact cents", "[orders]") {
  auto request = orders::parse_order_request(R"({"items":[{"productId":")" + kA +
                                             R"(","quantity":3},)"
                                             R"({"productId":")" +
                                             kB + R"(","quantity":7}]})");
  std::map<std::string, products::client::CatalogProduct> catalog{{kA, product(kA, "Mug", 1999)},
                                                                  {kB, product(kB, "Spoon", 10)}};
  auto priced = orders::price_order(request, catalog);
  REQUIRE(priced.lines.size() == 2);
  CHECK(priced.lines[0].product_name == "Mug");
  CHECK(priced.lines[0].unit_price.value == 1999);
  CHECK(priced.lines[0].subtotal.value == 5997);
  CHECK(priced.lines[1].subtotal.value == 70);  // 7 × 0.10 = 0.70 exactly, not 0.7000000000000001
  CHECK(priced.total.value == 6067);
  CHECK(core::format_cents(priced.total) == "60.67");
}

TEST_CASE("orders: unknown and inactive products are 422 naming items[i].productId", "[orders]") {
  auto request = orders::parse_order_request(R"({"items":[{"productId":")" + kA +
                                             R"(","quantity":1},)"
                                             R"({"productId":")" +
                                             kB + R"(","quantity":1}]})");
  std::map<std::string, products::client::CatalogProduct> only_b{{kB, product(kB, "Spoon", 10, false)}};
  auto [status, fields] = rejected([&] { orders::price_order(request, only_b); });
  CHECK(status == 422);
  CHECK(fields == Fields{"items[0].productId", "items[1].productId"});
}

TEST_CASE("orders: the status machine", "[orders]") {
  using S = OrderStatus;
  const S all[] = {S::pending, S::confirmed, S::rejected, S::cancelled, S::shipped, S::delivered};
  for (S s : all) {
    INFO(orders::to_string(s));
    CHECK(orders::parse_status(orders::to_string(s)) == s);
    const bool cancellable = s == S::pending || s == S::confirmed;
    CHECK(orders::may_move(orders::Actor::customer, s, S::cancelled) == cancellable);
    CHECK(orders::may_move(orders::Actor::admin, s, S::cancelled) == cancellable);
    CHECK_FALSE(orders::may_move(orders::Actor::stock, s, S::cancelled));
    for (S to : all) {
      INFO(orders::to_string(to));
      const bool decided = s == S::pending && (to == S::confirmed || to == S::rejected);
      CHECK(orders::may_move(orders::Actor::stock, s, to) == decided);
      const bool shipping = (s == S::confirmed && to == S::shipped) || (s == S::shipped && to == S::delivered);
      CHECK(orders::may_move(orders::Actor::admin, s, to) == (shipping || (to == S::cancelled && cancellable)));
      CHECK(orders::may_move(orders::Actor::customer, s, to) == (to == S::cancelled && cancellable));
    }
  }
  CHECK(orders::movable_to(orders::Actor::stock, S::confirmed) == std::vector<S>{S::pending});
  CHECK(orders::movable_to(orders::Actor::admin, S::cancelled) == std::vector<S>{S::pending, S::confirmed});
  CHECK(orders::movable_to(orders::Actor::customer, S::shipped).empty());
  CHECK_FALSE(orders::parse_status("pending"));
  CHECK(orders::parse_status_change(R"({"status":"SHIPPED"})") == S::shipped);
  CHECK(orders::parse_status_change(R"({"status":"DELIVERED"})") == S::delivered);
  CHECK(orders::parse_status_change(R"({"status":"CANCELLED"})") == S::cancelled);
  // Seed 001's clients send lower case.
  CHECK(orders::parse_status_change(R"({"status":"shipped"})") == S::shipped);
  CHECK(orders::parse_status_change(R"({"status":"delivered"})") == S::delivered);
  CHECK(orders::parse_status_change(R"({"status":"cancelled"})") == S::cancelled);
  for (const char* body : {R"({"status":"CONFIRMED"})", R"({"status":"processing"})", R"({"status":"pending"})",
                           R"({"status":"Shipped"})", "{}", R"({"status":1})"}) {
    INFO(body);
    CHECK(rejected([&] { orders::parse_status_change(body); }).second == Fields{"status"});
  }
}

TEST_CASE("orders: list queries validate status, userId and paging", "[orders]") {
  auto q = orders::parse_list_query([](std::string_view name) -> std::optional<std::string> {
    if (name == "status") return std::string("confirmed");
    if (name == "userId") return std::string("0190A3C2-7B1E-7C3D-8E4F-00000000000A");
    if (name == "limit") return std::string("5");
    return std::nullopt;
  });
  CHECK(q.status == OrderStatus::confirmed);
  CHECK(*q.user_id == kA);
  CHECK(q.limit == 5);
  auto [status, fields] = rejected([] {
    orders::parse_list_query([](std::string_view name) -> std::optional<std::string> {
      if (name == "status") return std::string("LOST");
      if (name == "userId") return std::string("me");
      if (name == "limit") return std::string("101");
      return std::nullopt;
    });
  });
  CHECK(status == 400);
  CHECK(fields == Fields{"limit", "status", "userId"});
}

TEST_CASE("orders: the order JSON carries exact amounts and the documented members", "[orders]") {
  orders::Order o;
  o.id = kA;
  o.user_id = kB;
  o.lines.push_back({kA, "Mug", core::Cents{1999}, 2, core::Cents{3998}});
  o.total = core::Cents{3998};
  o.status = OrderStatus::rejected;
  o.status_reason = "OUT_OF_STOCK";
  o.created_at = o.updated_at = "2026-11-21T20:15:03.123Z";
  const auto json = orders::order_json(o);
  for (const char* part :
       {R"("unitPrice":19.99)", R"("subtotal":39.98)", R"("totalAmount":39.98)", R"("currency":"USD")",
        R"("status":"REJECTED")", R"("statusReason":"OUT_OF_STOCK")", R"("shippingAddress":null)",
        R"("productName":"Mug")", R"("quantity":2)", R"("createdAt":"2026-11-21T20:15:03.123Z")"}) {
    INFO(part);
    CHECK(json.find(part) != std::string::npos);
  }
}

TEST_CASE("orders: an unreachable catalog is a 503 (core::Unavailable), never a 4xx", "[orders]") {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const core::MeshAuth mesh("orders", {"0123456789abcdef0123456789abcdef"});
  products::client::HttpCatalog catalog("http://127.0.0.1:1", std::chrono::milliseconds(500), mesh);
  CHECK_THROWS_AS(catalog.lookup({kA}, {"rid", ""}), core::Unavailable);
}
