// The orders service on the real stack: orders priced from the catalog with exact totals,
// ORDER_CREATED in the same transaction (outbox) and so on order.events, Idempotency-Key replays,
// visibility rules, cancellation and the administrators' status changes, and the reactions to
// the stock service's decisions (conditional, idempotent, never resurrecting a cancelled order).
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "commerce_kit.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

using namespace shopmesh::testing::commerce;

namespace {

std::string url(const std::string& path = "") {
  return orders_url() + "/api/orders" + path;
}

std::string items(const std::vector<std::pair<std::string, int>>& lines) {
  std::string s = R"({"items":[)";
  for (std::size_t i = 0; i < lines.size(); ++i)
    s += std::string(i ? "," : "") + R"({"productId":")" + lines[i].first + R"(","quantity":)" +
         std::to_string(lines[i].second) + "}";
  return s + "]";
}

const char* kAddress =
    R"("shippingAddress":{"line1":"1 Main St","line2":null,"city":"Springfield","postalCode":"12345","country":"US"})";

core::HttpResult place(const std::string& user, const std::string& body, const std::string& key = "") {
  auto headers = kit::as_user(user, "buyer@it.shopmesh.test");
  if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
  return kit::http("POST", url(), body, headers);
}

std::string status_of(const std::string& order_id) {
  return kit::str(kit::json(kit::http("GET", url("/" + order_id), "", admin()).body), "status");
}

std::string field_of(const core::HttpResult& r, std::size_t i = 0) {
  auto d = kit::json(r.body);
  if (!d.IsObject() || !d.HasMember("errors") || d["errors"].Size() <= i) return {};
  return kit::str(d["errors"][static_cast<rapidjson::SizeType>(i)], "field");
}

std::string stock_reserved(const std::string& order_id, const std::string& product) {
  contracts::StockReservedV1 e;
  e.order_id = {order_id};
  e.items.push_back({{product}, 1});
  e.reserved_at = events::now_rfc3339();
  return to_json(e);
}

std::string stock_rejected(const std::string& order_id, const std::string& product) {
  contracts::StockRejectedV1 e;
  e.order_id = {order_id};
  e.reason = contracts::StockRejectedV1Reason::kOutOfStock;
  e.short_items.push_back({{product}, 1, 0});
  e.rejected_at = events::now_rfc3339();
  return to_json(e);
}

bool consumed(const std::string& event_id) {
  return kit::scalar<long long>(stack_var("DATABASE_URL_ORDERS"),
                                "SELECT count(*) FROM inbox WHERE event_id = $1::uuid", event_id)
             .value_or(0) == 1;
}

}  // namespace

TEST_CASE("orders: an order is PENDING with catalog names and prices, exact totals, and ORDER_CREATED", "[orders]") {
  const std::string mug = create_product_id({"Mug", "d", "19.99", "", 100});
  const std::string spoon = create_product_id({"Spoon", "d", "0.10", "", 100});
  const std::string user = core::uuid_v7();
  auto r = place(user, items({{mug, 3}, {spoon, 7}}) + R"(,"userId":")" + core::uuid_v7() +
                           R"(","status":"DELIVERED","totalAmount":0.01,)" + kAddress + "}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto o = kit::json(r.body);
  const std::string id = kit::str(o, "id");
  CHECK(core::is_uuid(id));
  CHECK(r.header("location") == "/api/orders/" + id);
  CHECK(kit::str(o, "userId") == user);  // the gateway's identity, not the body's
  CHECK(kit::str(o, "status") == "PENDING");
  CHECK(o["statusReason"].IsNull());
  CHECK(kit::str(o, "currency") == "USD");
  CHECK(r.body.find(R"("productName":"Mug","unitPrice":19.99,"quantity":3,"subtotal":59.97)") != std::string::npos);
  CHECK(r.body.find(R"("productName":"Spoon","unitPrice":0.10,"quantity":7,"subtotal":0.70)") != std::string::npos);
  CHECK(r.body.find(R"("totalAmount":60.67)") != std::string::npos);
  CHECK(kit::str(o["shippingAddress"], "city") == "Springfield");

  // The event was committed with the order (everything the service committed by now is on
  // order.events), once.
  auto published_now = published("DATABASE_URL_ORDERS", events::topic::order, id);
  REQUIRE(count_type(published_now, "ORDER_CREATED") == 1);
  auto created = first_published(events::topic::order, id, "ORDER_CREATED", 20s);
  REQUIRE(created);
  CHECK(created->producer == "orders");
  auto event = contracts::from_json_text<contracts::OrderCreatedV1>(created->data);
  INFO(contracts::describe(event.errors));
  REQUIRE(event.ok());
  const auto& e = *event.value;
  CHECK(e.order_id.value == id);
  CHECK(e.user_id.value == user);
  REQUIRE(e.items.size() == 2);
  CHECK(e.items[0].product_id.value == mug);
  CHECK(e.items[0].product_name == "Mug");
  CHECK(e.items[0].unit_price.value == 1999);
  CHECK(e.items[1].subtotal.value == 70);
  CHECK(e.total_amount.value == 6067);
  CHECK(e.currency == "USD");
  REQUIRE(e.shipping_address);
  CHECK(e.shipping_address->postal_code == "12345");
  CHECK(e.created_at == kit::str(o, "createdAt"));
}

TEST_CASE("orders: the same Idempotency-Key and body return the same order, another body is 422", "[orders]") {
  const std::string product = create_product_id({"Idem", "d", "4.25", "", 100});
  const std::string user = core::uuid_v7();
  const std::string key = "it-" + core::uuid_v7();
  auto first = place(user, items({{product, 2}}) + "}", key);
  REQUIRE(first.status == 201);
  const std::string id = kit::str(kit::json(first.body), "id");
  // Same meaning, different spelling: member order, ignored fields.
  auto again = place(user, R"({"note":"retry","items":[{"quantity":2,"productId":")" + product + R"("}]})", key);
  INFO(again.body);
  CHECK(again.status == 200);
  CHECK(again.header("idempotent-replayed") == "true");
  CHECK(kit::str(kit::json(again.body), "id") == id);
  auto other = place(user, items({{product, 3}}) + "}", key);
  CHECK(other.status == 422);
  CHECK(field_of(other) == "Idempotency-Key");
  // Keys belong to a user: another user's identical request is a new order.
  auto someone = place(core::uuid_v7(), items({{product, 2}}) + "}", key);
  CHECK(someone.status == 201);
  CHECK(kit::str(kit::json(someone.body), "id") != id);
  CHECK(kit::scalar<long long>(stack_var("DATABASE_URL_ORDERS"), "SELECT count(*) FROM orders WHERE user_id = $1::uuid",
                               user) == 1);
  CHECK(place(user, items({{product, 2}}) + "}", "bad key").status == 400);
}

TEST_CASE("orders: concurrent requests with one Idempotency-Key make one order", "[orders]") {
  const std::string product = create_product_id({"Race", "d", "1.00", "", 1000});
  const std::string user = core::uuid_v7();
  const std::string key = "race-" + core::uuid_v7();
  std::vector<std::thread> threads;
  std::vector<core::HttpResult> results(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { results[i] = place(user, items({{product, 1}}) + "}", key); });
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    INFO(r.status << " " << r.body);
    CHECK((r.status == 201 || r.status == 200));
    created += r.status == 201 ? 1 : 0;
    ids.insert(kit::str(kit::json(r.body), "id"));
  }
  CHECK(created == 1);
  CHECK(ids.size() == 1);
}

TEST_CASE("orders: unknown or inactive products are 422 naming the line, bad bodies 400, no identity 401", "[orders]") {
  const std::string ok = create_product_id({"Fine", "d", "1.00"});
  const std::string off = create_product_id({"Off", "d", "1.00", "", 5, false});
  const std::string user = core::uuid_v7();
  auto unknown = place(user, items({{ok, 1}, {core::uuid_v7(), 1}}) + "}");
  INFO(unknown.body);
  CHECK(unknown.status == 422);
  CHECK(field_of(unknown) == "items[1].productId");
  auto inactive = place(user, items({{off, 1}}) + "}");
  CHECK(inactive.status == 422);
  CHECK(field_of(inactive) == "items[0].productId");
  auto zero = place(user, items({{ok, 0}}) + "}");
  CHECK(zero.status == 400);
  CHECK(field_of(zero) == "items[0].quantity");
  CHECK(place(user, R"({"items":[]})").status == 400);
  CHECK(place(user, "{").status == 400);
  CHECK(kit::http("POST", url(), items({{ok, 1}}) + "}").status == 401);
  CHECK(kit::json(kit::http("GET", url(), "", kit::as_user(user)).body)["total"].GetInt() == 0);  // nothing stored
}

TEST_CASE("orders: customers see their own orders, admins see all, others' orders are 404", "[orders]") {
  const std::string product = create_product_id({"Seen", "d", "2.00", "", 100});
  const std::string ann = core::uuid_v7();
  const std::string bob = core::uuid_v7();
  const std::string a1 = kit::str(kit::json(place(ann, items({{product, 1}}) + "}").body), "id");
  const std::string a2 = kit::str(kit::json(place(ann, items({{product, 2}}) + "}").body), "id");
  const std::string b1 = kit::str(kit::json(place(bob, items({{product, 1}}) + "}").body), "id");

  auto mine = kit::http("GET", url("?limit=1"), "", kit::as_user(ann));
  REQUIRE(mine.status == 200);
  auto page = kit::json(mine.body);
  CHECK(page["total"].GetInt() == 2);
  CHECK(page["limit"].GetInt() == 1);
  REQUIRE(page["items"].Size() == 1);
  CHECK(kit::str(page["items"][0], "id") == a2);  // newest first
  CHECK(page["items"][0]["items"].Size() == 1);

  CHECK(kit::http("GET", url("/" + a1), "", kit::as_user(ann)).status == 200);
  auto hidden = kit::http("GET", url("/" + a1), "", kit::as_user(bob));
  CHECK(hidden.status == 404);
  CHECK(kit::http("GET", url("/" + core::uuid_v7()), "", kit::as_user(bob)).status == 404);
  CHECK(kit::http("GET", url("/nope"), "", kit::as_user(bob)).status == 404);
  CHECK(kit::http("GET", url("/" + b1), "", admin()).status == 200);
  CHECK(kit::http("GET", url("?userId=" + ann), "", kit::as_user(bob)).status == 403);
  auto ann_by_admin = kit::json(kit::http("GET", url("?userId=" + ann), "", admin()).body);
  CHECK(ann_by_admin["total"].GetInt() == 2);
  CHECK(kit::http("GET", url("?status=LOST"), "", kit::as_user(ann)).status == 400);
  CHECK(kit::http("GET", url()).status == 401);
  // Cancelled orders by status.
  REQUIRE(kit::http("POST", url("/" + a1 + "/cancel"), "", kit::as_user(ann)).status == 200);
  auto cancelled = kit::json(kit::http("GET", url("?status=CANCELLED"), "", kit::as_user(ann)).body);
  CHECK(cancelled["total"].GetInt() == 1);
}

TEST_CASE("orders: cancel is allowed once, by the owner or an admin, ORDER_CANCELLED goes out", "[orders]") {
  const std::string product = create_product_id({"Cancel", "d", "3.00", "", 100});
  const std::string user = core::uuid_v7();
  const std::string id = kit::str(kit::json(place(user, items({{product, 1}}) + "}").body), "id");
  CHECK(kit::http("POST", url("/" + id + "/cancel"), "", kit::as_user(core::uuid_v7())).status == 404);
  auto cancel = kit::http("POST", url("/" + id + "/cancel"), "", kit::as_user(user));
  INFO(cancel.body);
  REQUIRE(cancel.status == 200);
  auto o = kit::json(cancel.body);
  CHECK(kit::str(o, "status") == "CANCELLED");
  CHECK(kit::str(o, "statusReason") == "CANCELLED_BY_CUSTOMER");
  auto again = kit::http("POST", url("/" + id + "/cancel"), "", kit::as_user(user));
  CHECK(again.status == 409);
  CHECK(kit::http("DELETE", url("/" + id), "", kit::as_user(user)).status == 409);
  auto order_events = published("DATABASE_URL_ORDERS", events::topic::order, id);
  REQUIRE(count_type(order_events, "ORDER_CANCELLED") == 1);
  for (const auto& e : order_events)
    if (e.type == "ORDER_CANCELLED") {
      CHECK(kit::data_member(e, "cancelledBy") == user);
      CHECK(kit::data_member(e, "userId") == user);
    }

  // DELETE is the same operation; an admin may cancel anyone's order.
  const std::string other = kit::str(kit::json(place(user, items({{product, 1}}) + "}").body), "id");
  auto by_admin = kit::http("DELETE", url("/" + other), "", admin());
  REQUIRE(by_admin.status == 200);
  CHECK(kit::str(kit::json(by_admin.body), "statusReason") == "CANCELLED_BY_ADMIN");
}

TEST_CASE("orders: stock decisions move PENDING orders once, a cancelled order stays cancelled", "[orders]") {
  // Decisions are published here as the stock service would publish them; the stock service
  // itself decides these orders too, which is the race the conditional updates are for.
  const std::string product = create_product_id({"Decide", "d", "1.00", "", 100});
  const std::string user = core::uuid_v7();
  const std::string topic(events::topic::stock);

  // A reservation arriving after the cancellation changes nothing.
  const std::string cancelled = kit::str(kit::json(place(user, items({{product, 1}}) + "}").body), "id");
  REQUIRE(kit::http("POST", url("/" + cancelled + "/cancel"), "", kit::as_user(user)).status == 200);
  auto late = kit::publish(topic, "STOCK_RESERVED", cancelled, stock_reserved(cancelled, product));
  REQUIRE(eventually([&] { return consumed(late.id); }, 20s));
  CHECK(status_of(cancelled) == "CANCELLED");
  bool after_cancel = false, confirmed_after_cancel = false;
  for (const auto& e : published("DATABASE_URL_ORDERS", events::topic::order, cancelled)) {
    confirmed_after_cancel = confirmed_after_cancel || (after_cancel && e.type == "ORDER_CONFIRMED");
    after_cancel = after_cancel || e.type == "ORDER_CANCELLED";
  }
  CHECK(after_cancel);
  CHECK_FALSE(confirmed_after_cancel);

  // Whatever the stock service decided first wins; a contrary or repeated decision is a no-op.
  const std::string id = kit::str(kit::json(place(user, items({{product, 1}}) + "}").body), "id");
  REQUIRE(eventually([&] { return status_of(id) != "PENDING"; }, 20s));
  const std::string decided = status_of(id);
  auto dup = kit::publish(topic, "STOCK_RESERVED", id, stock_reserved(id, product));
  auto contrary = kit::publish(topic, "STOCK_REJECTED", id, stock_rejected(id, product));
  REQUIRE(eventually([&] { return consumed(dup.id) && consumed(contrary.id); }, 20s));
  CHECK(status_of(id) == decided);
  auto order_events = published("DATABASE_URL_ORDERS", events::topic::order, id);
  CHECK(count_type(order_events, "ORDER_CONFIRMED") + count_type(order_events, "ORDER_REJECTED") == 1);
}

TEST_CASE("orders: admins move CONFIRMED → SHIPPED → DELIVERED, one step at a time", "[orders]") {
  const std::string product = create_product_id({"Ship", "d", "5.00", "", 100});
  REQUIRE(eventually([&] { return stock_knows(product); }, 30s));
  const std::string user = core::uuid_v7();
  const std::string id = kit::str(kit::json(place(user, items({{product, 1}}) + "}").body), "id");
  REQUIRE(eventually([&] { return status_of(id) == "CONFIRMED"; }, 30s));
  auto patch = [&](const std::string& status, const Headers& who) {
    return kit::http("PATCH", url("/" + id + "/status"), R"({"status":")" + status + "\"}", who);
  };
  CHECK(patch("SHIPPED", kit::as_user(user)).status == 403);
  CHECK(patch("DELIVERED", admin()).status == 409);  // not shipped yet
  CHECK(patch("CONFIRMED", admin()).status == 400);   // the saga's to set, not a client's
  CHECK(patch("processing", admin()).status == 400);  // nor seed 001's other statuses
  auto shipped = patch("SHIPPED", admin());
  INFO(shipped.body);
  REQUIRE(shipped.status == 200);
  CHECK(kit::str(kit::json(shipped.body), "status") == "SHIPPED");
  CHECK(patch("SHIPPED", admin()).status == 409);
  CHECK(kit::http("POST", url("/" + id + "/cancel"), "", kit::as_user(user)).status == 409);
  REQUIRE(patch("DELIVERED", admin()).status == 200);
  CHECK(patch("SHIPPED", admin()).status == 409);
  auto order_events = published("DATABASE_URL_ORDERS", events::topic::order, id);
  CHECK(count_type(order_events, "ORDER_CONFIRMED") == 1);
  CHECK(count_type(order_events, "ORDER_STATUS_CHANGED") == 2);
  CHECK(kit::http("PATCH", url("/" + core::uuid_v7() + "/status"), R"({"status":"SHIPPED"})", admin()).status == 404);
}
