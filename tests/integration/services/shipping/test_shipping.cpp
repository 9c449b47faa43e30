// The shipping service on the real stack: order and stock events published to the real topics, in
// order and out of order; effects checked in its database, on shipping.events and over its HTTP API. The
// stack's stock service reacts to every ORDER_CREATED published here (STOCK_RESERVED for a
// stocked product, STOCK_REJECTED for an unknown one), as it would in production: the tests
// account for it rather than race it.
#include <catch2/catch.hpp>
#include <regex>

#include "../../saga/mesh_kit.hpp"
#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/order_status_changed_v1.hpp"
#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

namespace kit = testing::kit;

namespace {

std::string db() {
  return stack_var("DATABASE_URL_SHIPPING");
}
std::string url() {
  return stack_var("SHIPPING_URL");
}
const std::string order_topic(events::topic::order);
const std::string stock_topic(events::topic::stock);

// A product with plenty of stock: stock reserves every order of it.
const std::string& stocked() {
  static const std::string id = kit::stocked_product(1'000'000);
  return id;
}

std::string order_created(const std::string& order_id, const std::string& user_id, bool with_address = true,
                          const std::string& product = stocked()) {
  contracts::OrderCreatedV1 e;
  e.order_id = {order_id};
  e.user_id = {user_id};
  e.items.push_back({{product}, "Mug", core::Cents{1999}, 1, core::Cents{1999}});
  e.total_amount = core::Cents{1999};
  if (with_address)
    e.shipping_address = contracts::OrderCreatedV1ShippingAddress{"1 Main St", "Apt 4", "Springfield", "12345", "US"};
  e.created_at = events::now_rfc3339();
  return to_json(e);
}

std::string stock_reserved(const std::string& order_id) {
  contracts::StockReservedV1 e;
  e.order_id = {order_id};
  e.items.push_back({{core::uuid_v7()}, 1});
  e.reserved_at = events::now_rfc3339();
  return to_json(e);
}

std::string stock_rejected(const std::string& order_id) {
  contracts::StockRejectedV1 e;
  e.order_id = {order_id};
  e.reason = contracts::StockRejectedV1Reason::kOutOfStock;
  e.short_items.push_back({{core::uuid_v7()}, 2, 1});
  e.rejected_at = events::now_rfc3339();
  return to_json(e);
}

std::string status_changed(const std::string& order_id, const std::string& user_id,
                           contracts::OrderStatusChangedV1OrderStatus from,
                           contracts::OrderStatusChangedV1OrderStatus to) {
  contracts::OrderStatusChangedV1 e{{order_id}, {user_id}, from, to, events::now_rfc3339()};
  return to_json(e);
}

std::string order_cancelled(const std::string& order_id, const std::string& user_id) {
  contracts::OrderCancelledV1 e;
  e.order_id = {order_id};
  e.user_id = {user_id};
  e.previous_status = contracts::OrderCancelledV1PreviousStatus::kConfirmed;
  e.cancelled_by = {user_id};
  e.cancelled_at = events::now_rfc3339();
  return to_json(e);
}

std::string status(const std::string& order_id) {
  return kit::scalar<std::string>(db(), "SELECT status FROM shipments WHERE order_id = $1::uuid", order_id)
      .value_or("");
}

bool processed(const std::string& event_id) {
  return kit::scalar<long long>(db(), "SELECT count(*) FROM inbox WHERE event_id = $1::uuid", event_id).value_or(0) ==
         1;
}

const std::string shipping_topic(events::topic::shipping);

// The shipping events published for an order (all it had committed), oldest first, as "TYPE" or
// "TYPE FROM->TO".
std::vector<std::string> timeline(const std::string& order_id) {
  std::vector<std::string> out;
  for (const auto& e : kit::published(db(), shipping_topic, order_id)) {
    std::string line = e.type;
    if (e.type == "SHIPMENT_STATUS_CHANGED")
      line += " " + kit::data_member(e, "from") + "->" + kit::data_member(e, "to");
    if (e.type == "SHIPMENT_CREATED") line += " " + kit::data_member(e, "status");
    out.push_back(line);
  }
  return out;
}

using Timeline = std::vector<std::string>;
using O = contracts::OrderStatusChangedV1OrderStatus;

}  // namespace

TEST_CASE("shipping: a shipment follows its order from PENDING to DELIVERED", "[shipping]") {
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));
  // the stack's stock service reserves the order: STOCK_RESERVED makes the shipment READY
  REQUIRE(eventually([&] { return status(order) == "READY"; }, 30s));
  const auto tracking =
      kit::scalar<std::string>(db(), "SELECT tracking_number FROM shipments WHERE order_id = $1::uuid", order);
  REQUIRE(tracking);
  CHECK(std::regex_match(*tracking, std::regex("^SM[0-9A-Z]{12}$")));

  kit::publish(order_topic, "ORDER_STATUS_CHANGED", order, status_changed(order, user, O::kPending, O::kConfirmed));
  kit::publish(order_topic, "ORDER_STATUS_CHANGED", order, status_changed(order, user, O::kConfirmed, O::kShipped));
  REQUIRE(eventually([&] { return status(order) == "SHIPPED"; }, 30s));
  kit::publish(order_topic, "ORDER_STATUS_CHANGED", order, status_changed(order, user, O::kShipped, O::kDelivered));
  REQUIRE(eventually([&] { return status(order) == "DELIVERED"; }, 30s));

  CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->READY",
                                    "SHIPMENT_STATUS_CHANGED READY->SHIPPED",
                                    "SHIPMENT_STATUS_CHANGED SHIPPED->DELIVERED"});
  const auto announced = kit::published(db(), shipping_topic, order);
  REQUIRE_FALSE(announced.empty());
  const auto& last = announced.back();
  CHECK(kit::data_member(last, "trackingNumber") == *tracking);
  CHECK(kit::data_member(last, "userId") == user);

  // over HTTP: the owner by order id and by shipment id
  auto r = kit::http("GET", url() + "/api/shipments?orderId=" + order, "", kit::as_user(user));
  REQUIRE(r.status == 200);
  auto s = kit::json(r.body);
  CHECK(kit::str(s, "orderId") == order);
  CHECK(kit::str(s, "status") == "DELIVERED");
  CHECK(kit::str(s, "trackingNumber") == *tracking);
  CHECK(kit::str(s["address"], "city") == "Springfield");
  CHECK(kit::str(s["address"], "line2") == "Apt 4");
  CHECK(!kit::str(s, "createdAt").empty());
  CHECK(!kit::str(s, "updatedAt").empty());
  const std::string id = kit::str(s, "id");
  auto by_id = kit::http("GET", url() + "/api/shipments/" + id, "", kit::as_user(user));
  REQUIRE(by_id.status == 200);
  CHECK(kit::str(kit::json(by_id.body), "orderId") == order);
}

TEST_CASE("shipping: another user's shipment is not found, an admin sees every shipment", "[shipping]") {
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user, /*with_address=*/false));
  REQUIRE(eventually([&] { return status(order) == "READY"; }, 30s));
  const std::string stranger = core::uuid_v7();
  CHECK(kit::http("GET", url() + "/api/shipments?orderId=" + order, "", kit::as_user(stranger)).status == 404);
  auto mine = kit::http("GET", url() + "/api/shipments?orderId=" + order, "", kit::as_user(user));
  REQUIRE(mine.status == 200);
  CHECK(kit::json(mine.body)["address"].IsNull());
  CHECK(kit::str(kit::json(mine.body), "status") == "READY");
  const std::string id = kit::str(kit::json(mine.body), "id");
  CHECK(kit::http("GET", url() + "/api/shipments/" + id, "", kit::as_user(stranger)).status == 404);
  CHECK(kit::http("GET", url() + "/api/shipments/" + id, "", kit::as_admin(stranger)).status == 200);
  CHECK(kit::http("GET", url() + "/api/shipments/" + id).status == 401);
  CHECK(kit::http("GET", url() + "/api/shipments/nope", "", kit::as_user(user)).status == 404);
  CHECK(kit::http("GET", url() + "/api/shipments?orderId=nope", "", kit::as_user(user)).status == 400);

  // lists: the owner's own, an admin's filtered by owner
  auto list = kit::http("GET", url() + "/api/shipments?limit=5", "", kit::as_user(user));
  REQUIRE(list.status == 200);
  auto page = kit::json(list.body);
  CHECK(page["total"].GetInt64() == 1);
  CHECK(page["limit"].GetInt() == 5);
  REQUIRE(page["items"].Size() == 1);
  CHECK(kit::str(page["items"][0], "id") == id);
  CHECK(kit::json(kit::http("GET", url() + "/api/shipments", "", kit::as_user(stranger)).body)["total"].GetInt64() ==
        0);
  auto admin = kit::http("GET", url() + "/api/shipments?userId=" + user, "", kit::as_admin(stranger));
  REQUIRE(admin.status == 200);
  CHECK(kit::json(admin.body)["total"].GetInt64() == 1);
  CHECK(kit::http("GET", url() + "/api/shipments?limit=1000", "", kit::as_user(user)).status == 400);
}

TEST_CASE("shipping: STOCK_RESERVED before ORDER_CREATED still gives a READY shipment and a whole timeline",
          "[shipping]") {
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  auto reserved = kit::publish(stock_topic, "STOCK_RESERVED", order, stock_reserved(order));
  REQUIRE(eventually([&] { return processed(reserved.id); }, 30s));
  CHECK(status(order) == "READY");  // opened by the stock event, not announced yet
  CHECK(timeline(order).empty());
  CHECK(kit::http("GET", url() + "/api/shipments?orderId=" + order, "", kit::as_user(user)).status == 404);

  kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));
  REQUIRE(eventually([&] { return timeline(order).size() == 2; }, 30s));
  CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->READY"});
  auto r = kit::http("GET", url() + "/api/shipments?orderId=" + order, "", kit::as_user(user));
  REQUIRE(r.status == 200);
  CHECK(kit::str(kit::json(r.body), "status") == "READY");
  CHECK(kit::str(kit::json(r.body)["address"], "line1") == "1 Main St");
  CHECK(kit::scalar<long long>(db(), "SELECT count(*) FROM shipments WHERE order_id = $1::uuid", order) == 1);
}

TEST_CASE("shipping: an order's SHIPPED overtaking its STOCK_RESERVED passes through READY", "[shipping]") {
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));
  kit::publish(order_topic, "ORDER_STATUS_CHANGED", order, status_changed(order, user, O::kConfirmed, O::kShipped));
  REQUIRE(eventually([&] { return status(order) == "SHIPPED"; }, 30s));
  auto late = kit::publish(stock_topic, "STOCK_RESERVED", order, stock_reserved(order));
  REQUIRE(eventually([&] { return processed(late.id); }, 30s));
  CHECK(status(order) == "SHIPPED");
  CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->READY",
                                    "SHIPMENT_STATUS_CHANGED READY->SHIPPED"});
}

TEST_CASE("shipping: cancellation, rejection and out-of-stock cancel, a late reservation does not revive",
          "[shipping]") {
  SECTION("ORDER_CANCELLED after READY") {
    const std::string order = core::uuid_v7();
    const std::string user = core::uuid_v7();
    kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));
    REQUIRE(eventually([&] { return status(order) == "READY"; }, 30s));
    kit::publish(order_topic, "ORDER_CANCELLED", order, order_cancelled(order, user));
    REQUIRE(eventually([&] { return status(order) == "CANCELLED"; }, 30s));
    auto late = kit::publish(stock_topic, "STOCK_RESERVED", order, stock_reserved(order));
    auto shipped = kit::publish(order_topic, "ORDER_STATUS_CHANGED", order,
                                status_changed(order, user, O::kConfirmed, O::kShipped));
    REQUIRE(eventually([&] { return processed(late.id) && processed(shipped.id); }, 30s));
    CHECK(status(order) == "CANCELLED");
    CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->READY",
                                      "SHIPMENT_STATUS_CHANGED READY->CANCELLED"});
  }
  SECTION("STOCK_REJECTED, even before ORDER_CREATED") {
    const std::string order = core::uuid_v7();
    const std::string user = core::uuid_v7();
    auto rejected = kit::publish(stock_topic, "STOCK_REJECTED", order, stock_rejected(order));
    REQUIRE(eventually([&] { return processed(rejected.id); }, 30s));
    CHECK(status(order) == "CANCELLED");
    kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));
    REQUIRE(eventually([&] { return timeline(order).size() == 2; }, 30s));
    CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->CANCELLED"});
    CHECK(kit::scalar<std::string>(
              db(), "SELECT coalesce(tracking_number, '') FROM shipments WHERE order_id = $1::uuid", order) == "");
  }
  SECTION("ORDER_REJECTED") {
    const std::string order = core::uuid_v7();
    const std::string user = core::uuid_v7();
    kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user, true, core::uuid_v7()));
    contracts::OrderRejectedV1 e{{order}, {user}, "UNKNOWN_PRODUCT", events::now_rfc3339()};
    kit::publish(order_topic, "ORDER_REJECTED", order, to_json(e));
    REQUIRE(eventually([&] { return status(order) == "CANCELLED"; }, 30s));
    CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->CANCELLED"});
  }
}

TEST_CASE("shipping: a redelivered ORDER_CREATED opens one shipment and announces it once", "[shipping]") {
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  auto e = kit::envelope("ORDER_CREATED", order, order_created(order, user));
  kit::publish(order_topic, {e, e});
  auto replay = kit::publish(order_topic, "ORDER_CREATED", order, order_created(order, user));  // another id
  REQUIRE(eventually([&] { return processed(replay.id) && status(order) == "READY"; }, 30s));
  CHECK(kit::scalar<long long>(db(), "SELECT count(*) FROM shipments WHERE order_id = $1::uuid", order) == 1);
  CHECK(timeline(order) == Timeline{"SHIPMENT_CREATED PENDING", "SHIPMENT_STATUS_CHANGED PENDING->READY"});
}
