// The stock service on the real stack: events published to the real topics, effects checked in its
// database (levels, reservations), on stock.events and over its HTTP API.
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "../../saga/mesh_kit.hpp"
#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/contracts/product_deleted_v1.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

namespace kit = testing::kit;

namespace {

std::string db() {
  return stack_var("DATABASE_URL_STOCK");
}
std::string url() {
  return stack_var("STOCK_URL");
}
const std::string kAdmin = core::uuid_v7();

std::string product_created(const std::string& id, std::int64_t stock) {
  contracts::ProductCreatedV1 e;
  e.product_id = {id};
  e.sku = "SKU-" + id.substr(24);
  e.name = "Widget " + id.substr(30);
  e.price = core::Cents{1999};
  e.active = true;
  e.stock = stock;
  e.created_at = events::now_rfc3339();
  return to_json(e);
}

std::string order_created(const std::string& order_id, const std::string& user_id,
                          const std::vector<std::pair<std::string, std::int64_t>>& lines) {
  contracts::OrderCreatedV1 e;
  e.order_id = {order_id};
  e.user_id = {user_id};
  for (const auto& [product, quantity] : lines)
    e.items.push_back({{product}, "Widget", core::Cents{1000}, quantity, core::Cents{1000 * quantity}});
  e.total_amount = core::Cents{0};
  for (const auto& i : e.items) e.total_amount = e.total_amount + i.subtotal;
  e.shipping_address =
      contracts::OrderCreatedV1ShippingAddress{"1 Main St", std::nullopt, "Springfield", "12345", "US"};
  e.created_at = events::now_rfc3339();
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

struct LevelRow {
  std::int64_t available = -1, reserved = -1;
  bool operator==(const LevelRow&) const = default;
};

std::optional<LevelRow> level(const std::string& product_id) {
  auto r = kit::rows(db(), "SELECT available, reserved FROM levels WHERE product_id = $1::uuid", product_id);
  if (r.empty()) return std::nullopt;
  return LevelRow{std::stoll(r[0][0]), std::stoll(r[0][1])};
}

std::string new_product(std::int64_t stock) {
  const std::string id = core::uuid_v7();
  kit::publish(std::string(events::topic::catalog), "PRODUCT_CREATED", id, product_created(id, stock));
  REQUIRE(eventually([&] { return level(id).has_value(); }, 30s));
  return id;
}

std::string decision(const std::string& order_id) {
  return kit::scalar<std::string>(db(), "SELECT outcome FROM order_decisions WHERE order_id = $1::uuid", order_id)
      .value_or("");
}

std::string place(const std::string& order_id, const std::vector<std::pair<std::string, std::int64_t>>& lines) {
  kit::publish(std::string(events::topic::order), "ORDER_CREATED", order_id,
               order_created(order_id, core::uuid_v7(), lines));
  REQUIRE(eventually([&] { return !decision(order_id).empty(); }, 30s));
  return decision(order_id);
}

// The events the service published for a key (all it had committed by now), oldest first.
std::vector<events::Envelope> published(const std::string& key) {
  return kit::published(db(), events::topic::stock, key);
}

bool parked(const std::string& order_id) {
  return kit::scalar<long long>(db(), "SELECT count(*) FROM parked_orders WHERE order_id = $1::uuid", order_id)
             .value_or(0) == 1;
}

// True once the consumer has applied (or skipped as a no-op) the event with this id.
bool processed(const std::string& event_id) {
  return kit::scalar<long long>(db(), "SELECT count(*) FROM inbox WHERE event_id = $1::uuid", event_id).value_or(0) ==
         1;
}

std::int64_t reserved_units(const std::string& product_id) {
  return kit::scalar<std::int64_t>(db(),
                                   "SELECT coalesce(sum(quantity), 0) FROM reservations"
                                   " WHERE product_id = $1::uuid AND status = 'RESERVED'",
                                   product_id)
      .value_or(-1);
}

}  // namespace

TEST_CASE("stock: PRODUCT_CREATED opens a level once, with its initial stock", "[stock]") {
  const std::string id = new_product(7);
  CHECK(level(id) == LevelRow{7, 0});
  // a second PRODUCT_CREATED for the same product (another event id) changes nothing
  auto again = kit::publish(std::string(events::topic::catalog), "PRODUCT_CREATED", id, product_created(id, 99));
  REQUIRE(eventually([&] { return processed(again.id); }, 30s));
  CHECK(level(id) == LevelRow{7, 0});
  auto changes = published(id);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].type == "STOCK_CHANGED");
  CHECK(changes[0].producer == "stock");
  CHECK(kit::data_member(changes[0], "reason") == "INITIAL");
}

TEST_CASE("stock: levels over HTTP are for administrators", "[stock]") {
  const std::string id = new_product(4);
  auto ok = kit::http("GET", url() + "/api/stock/" + id, "", kit::as_admin(kAdmin));
  REQUIRE(ok.status == 200);
  auto body = kit::json(ok.body);
  CHECK(kit::str(body, "productId") == id);
  CHECK(body["available"].GetInt64() == 4);
  CHECK(body["reserved"].GetInt64() == 0);
  CHECK(kit::http("GET", url() + "/api/stock/" + id, "", kit::as_user(core::uuid_v7())).status == 403);
  CHECK(kit::http("GET", url() + "/api/stock/" + id).status == 401);
  CHECK(kit::http("GET", url() + "/api/stock/" + core::uuid_v7(), "", kit::as_admin(kAdmin)).status == 404);
  CHECK(kit::http("GET", url() + "/api/stock/not-a-uuid", "", kit::as_admin(kAdmin)).status == 404);
  CHECK(kit::http("GET", url() + "/internal/stock/" + id).status == 200);
}

TEST_CASE("stock: an order reserves every line or none", "[stock]") {
  const std::string a = new_product(5);
  const std::string b = new_product(2);

  const std::string first = core::uuid_v7();
  CHECK(place(first, {{b, 1}, {a, 3}, {a, 1}}) == "RESERVED");  // a twice: 4 units of a
  CHECK(level(a) == LevelRow{1, 4});
  CHECK(level(b) == LevelRow{1, 1});
  auto first_events = published(first);
  REQUIRE(first_events.size() == 1);
  CHECK(first_events[0].type == "STOCK_RESERVED");
  auto reserved = kit::json(first_events[0].data);
  REQUIRE(reserved["items"].Size() == 2);
  auto changed = published(a);
  REQUIRE(changed.size() == 2);  // INITIAL, RESERVATION
  CHECK(kit::data_member(changed[1], "reason") == "RESERVATION");
  CHECK(kit::json(changed[1].data)["delta"].GetInt64() == -4);
  CHECK(kit::json(changed[1].data)["available"].GetInt64() == 1);
  CHECK(kit::data_member(changed[1], "orderId") == first);

  // b is one short: nothing of a is taken either
  const std::string second = core::uuid_v7();
  CHECK(place(second, {{a, 1}, {b, 2}}) == "REJECTED");
  CHECK(level(a) == LevelRow{1, 4});
  CHECK(level(b) == LevelRow{1, 1});
  CHECK(kit::scalar<long long>(db(), "SELECT count(*) FROM reservations WHERE order_id = $1::uuid", second) == 0);
  auto rejected = published(second);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].type == "STOCK_REJECTED");
  auto rejected_data = kit::json(rejected[0].data);
  REQUIRE(rejected_data.IsObject());
  auto data = rejected_data.GetObject();
  CHECK(std::string(data["reason"].GetString()) == "OUT_OF_STOCK");
  REQUIRE(data["shortItems"].Size() == 1);
  CHECK(std::string(data["shortItems"][0]["productId"].GetString()) == b);
  CHECK(data["shortItems"][0]["requested"].GetInt64() == 2);
  CHECK(data["shortItems"][0]["available"].GetInt64() == 1);
}

TEST_CASE("stock: an order for a product not heard of yet waits for its PRODUCT_CREATED, then for so long", "[stock]") {
  // The orders service priced the order from the catalog, so a missing level is a PRODUCT_CREATED
  // still on its way (a product created a moment before the order), not an unknown product.
  const std::string a = new_product(5);
  const std::string late = core::uuid_v7();  // PRODUCT_CREATED not published yet
  const std::string order = core::uuid_v7();
  kit::publish(std::string(events::topic::order), "ORDER_CREATED", order,
               order_created(order, core::uuid_v7(), {{a, 1}, {late, 2}}));
  REQUIRE(eventually([&] { return parked(order); }, 30s));
  std::this_thread::sleep_for(1500ms);  // a sweep or two: still waiting, nothing taken
  CHECK(decision(order).empty());
  CHECK(level(a) == LevelRow{5, 0});
  CHECK(published(order).empty());

  kit::publish(std::string(events::topic::catalog), "PRODUCT_CREATED", late, product_created(late, 3));
  REQUIRE(eventually([&] { return !decision(order).empty(); }, 30s));
  CHECK(decision(order) == "RESERVED");
  CHECK(!parked(order));
  CHECK(level(a) == LevelRow{4, 1});
  CHECK(level(late) == LevelRow{1, 2});
  auto reserved = published(order);
  REQUIRE(reserved.size() == 1);
  CHECK(reserved[0].type == "STOCK_RESERVED");

  // A product that never comes: rejected UNKNOWN_PRODUCT once the wait (30 s by default) is over.
  const std::string never = core::uuid_v7();
  const std::string lost = core::uuid_v7();
  kit::publish(std::string(events::topic::order), "ORDER_CREATED", lost,
               order_created(lost, core::uuid_v7(), {{a, 1}, {never, 1}}));
  REQUIRE(eventually([&] { return parked(lost); }, 30s));
  REQUIRE(kit::rows(db(),
                    "UPDATE parked_orders SET parked_at = now() - interval '1 hour' WHERE order_id = $1::uuid"
                    " RETURNING order_id",
                    lost)
              .size() == 1);
  REQUIRE(eventually([&] { return !decision(lost).empty(); }, 30s));
  CHECK(decision(lost) == "REJECTED");
  CHECK(!parked(lost));
  CHECK(level(a) == LevelRow{4, 1});
  auto rejected = published(lost);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].type == "STOCK_REJECTED");
  CHECK(kit::data_member(rejected[0], "reason") == "UNKNOWN_PRODUCT");

  // Cancelled while it waits: never reserved, even when the product arrives.
  const std::string later = core::uuid_v7();
  const std::string cancelled = core::uuid_v7();
  const std::string user = core::uuid_v7();
  kit::publish(std::string(events::topic::order), "ORDER_CREATED", cancelled,
               order_created(cancelled, user, {{later, 1}}));
  REQUIRE(eventually([&] { return parked(cancelled); }, 30s));
  kit::publish(std::string(events::topic::order), "ORDER_CANCELLED", cancelled, order_cancelled(cancelled, user));
  REQUIRE(eventually([&] { return !parked(cancelled); }, 30s));
  CHECK(decision(cancelled) == "CANCELLED");
  kit::publish(std::string(events::topic::catalog), "PRODUCT_CREATED", later, product_created(later, 3));
  REQUIRE(eventually([&] { return level(later).has_value(); }, 30s));
  CHECK(level(later) == LevelRow{3, 0});
  CHECK(published(cancelled).empty());
}

TEST_CASE("stock: cancelling releases the reservation exactly once", "[stock]") {
  const std::string p = new_product(3);
  const std::string order = core::uuid_v7();
  const std::string user = core::uuid_v7();
  REQUIRE(place(order, {{p, 2}}) == "RESERVED");
  CHECK(level(p) == LevelRow{1, 2});

  kit::publish(std::string(events::topic::order), "ORDER_CANCELLED", order, order_cancelled(order, user));
  REQUIRE(eventually([&] { return decision(order) == "CANCELLED"; }, 30s));
  CHECK(level(p) == LevelRow{3, 0});
  CHECK(reserved_units(p) == 0);
  auto released = published(order);
  REQUIRE(released.size() == 2);
  CHECK(released[1].type == "STOCK_RELEASED");
  auto changed = published(p);
  REQUIRE(changed.size() == 3);
  CHECK(kit::data_member(changed[2], "reason") == "RELEASE");
  CHECK(kit::json(changed[2].data)["delta"].GetInt64() == 2);

  // a second cancellation (another event id) and a replayed ORDER_CREATED change nothing
  auto cancel_again =
      kit::publish(std::string(events::topic::order), "ORDER_CANCELLED", order, order_cancelled(order, user));
  auto replayed =
      kit::publish(std::string(events::topic::order), "ORDER_CREATED", order, order_created(order, user, {{p, 2}}));
  REQUIRE(eventually([&] { return processed(cancel_again.id) && processed(replayed.id); }, 30s));
  CHECK(level(p) == LevelRow{3, 0});
  CHECK(published(order).size() == 2);

  // a cancellation of an order that was never reserved does nothing
  const std::string never = core::uuid_v7();
  kit::publish(std::string(events::topic::order), "ORDER_CANCELLED", never, order_cancelled(never, user));
  REQUIRE(eventually([&] { return decision(never) == "CANCELLED"; }, 30s));
  CHECK(published(never).empty());
}

TEST_CASE("stock: a redelivered event is applied once", "[stock]") {
  const std::string p = new_product(10);
  const std::string order = core::uuid_v7();
  auto e = kit::envelope("ORDER_CREATED", order, order_created(order, core::uuid_v7(), {{p, 3}}));
  kit::publish(std::string(events::topic::order), {e, e, e});
  REQUIRE(eventually([&] { return decision(order) == "RESERVED"; }, 30s));
  // the duplicates precede a later event of the same key (same partition): once that one is
  // processed, so are they
  auto barrier = kit::publish(std::string(events::topic::order), "ORDER_CREATED", order,
                              order_created(order, core::uuid_v7(), {{p, 3}}));
  REQUIRE(eventually([&] { return processed(barrier.id); }, 30s));
  CHECK(kit::scalar<long long>(db(), "SELECT count(*) FROM inbox WHERE event_id = $1::uuid", e.id) == 1);
  CHECK(kit::count_type(published(order), "STOCK_RESERVED") == 1);
  CHECK(level(p) == LevelRow{7, 3});
}

TEST_CASE("stock: reservations racing administrative adjustments conserve every unit", "[stock]") {
  const std::string p = new_product(10);
  std::vector<std::string> orders;
  for (int i = 0; i < 60; ++i) orders.push_back(core::uuid_v7());
  std::vector<std::thread> buyers;
  for (int t = 0; t < 3; ++t)
    buyers.emplace_back([&, t] {
      std::vector<events::Envelope> batch;
      for (std::size_t i = t; i < orders.size(); i += 3)
        batch.push_back(kit::envelope("ORDER_CREATED", orders[i], order_created(orders[i], core::uuid_v7(), {{p, 1}})));
      kit::publish(std::string(events::topic::order), batch);
    });
  std::atomic<long long> added{0}, removed{0}, refused{0};
  std::vector<std::thread> admins;
  for (int t = 0; t < 4; ++t)
    admins.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        if (kit::http("POST", url() + "/internal/stock/" + p + "/adjust", R"({"delta": 1})").status == 200) ++added;
        auto r = kit::http("POST", url() + "/internal/stock/" + p + "/adjust", R"({"delta": -2})");
        if (r.status == 200) removed += 2;
        if (r.status == 409) ++refused;
      }
    });
  for (auto& b : buyers) b.join();
  for (auto& a : admins) a.join();
  std::string ids;
  for (const auto& o : orders) ids += (ids.empty() ? "" : ",") + o;
  ids = "{" + ids + "}";
  auto count = [&](const char* outcome) {
    return kit::scalar<long long>(
               db(), "SELECT count(*) FROM order_decisions WHERE order_id = ANY($1::uuid[]) AND outcome = $2", ids,
               std::string(outcome))
        .value_or(-1);
  };
  REQUIRE(eventually([&] { return count("RESERVED") + count("REJECTED") == 60; }, 60s));
  const auto final_level = level(p);
  REQUIRE(final_level);
  CHECK(added == 60);
  CHECK(refused + removed / 2 == 60);
  // every unit is either available, reserved by exactly one order, or was removed by an admin
  CHECK(final_level->available + final_level->reserved == 10 + added - removed);
  CHECK(final_level->reserved == count("RESERVED"));
  CHECK(reserved_units(p) == count("RESERVED"));
  REQUIRE(testing::outbox_caught_up(db(), 30s));
  const std::set<std::string> order_set(orders.begin(), orders.end());
  const auto reservations = testing::published_events(
      std::string(events::topic::stock),
      [&](const events::Envelope& e) { return e.type == "STOCK_RESERVED" && order_set.count(e.key) == 1; }, 0, 30s);
  CHECK(static_cast<long long>(reservations.size()) == count("RESERVED"));
}

TEST_CASE("stock: 100 concurrent buyers for 10 units get exactly 10 reservations", "[stock]") {
  const std::string p = new_product(10);
  std::vector<std::string> orders;
  for (int i = 0; i < 100; ++i) orders.push_back(core::uuid_v7());
  std::vector<std::thread> buyers;
  for (int t = 0; t < 4; ++t)
    buyers.emplace_back([&, t] {
      std::vector<events::Envelope> batch;
      for (int i = t; i < 100; i += 4)
        batch.push_back(kit::envelope("ORDER_CREATED", orders[i], order_created(orders[i], core::uuid_v7(), {{p, 1}})));
      kit::publish(std::string(events::topic::order), batch);
    });
  for (auto& b : buyers) b.join();
  std::string ids;
  for (const auto& o : orders) ids += (ids.empty() ? "" : ",") + o;
  ids = "{" + ids + "}";
  auto count = [&](const char* outcome) {
    return kit::scalar<long long>(
               db(), "SELECT count(*) FROM order_decisions WHERE order_id = ANY($1::uuid[]) AND outcome = $2", ids,
               std::string(outcome))
        .value_or(-1);
  };
  REQUIRE(eventually([&] { return count("RESERVED") + count("REJECTED") == 100; }, 60s));
  CHECK(count("RESERVED") == 10);
  CHECK(count("REJECTED") == 90);
  CHECK(level(p) == LevelRow{0, 10});
  CHECK(reserved_units(p) == 10);
}

TEST_CASE("stock: adjustments by delta or set, never below zero", "[stock]") {
  const std::string p = new_product(5);
  auto adjust = [&](const std::string& body) {
    return kit::http("POST", url() + "/internal/stock/" + p + "/adjust", body);
  };
  auto r = adjust(R"({"delta": 3})");
  REQUIRE(r.status == 200);
  CHECK(kit::json(r.body)["available"].GetInt64() == 8);
  r = adjust(R"({"set": 2})");
  REQUIRE(r.status == 200);
  CHECK(kit::json(r.body)["available"].GetInt64() == 2);
  r = adjust(R"({"delta": -3})");
  CHECK(r.status == 409);
  CHECK(r.header("content-type").find("application/problem+json") != std::string::npos);
  CHECK(adjust(R"({"set": -1})").status == 409);
  CHECK(adjust(R"({"delta": 1, "set": 1})").status == 400);
  CHECK(adjust(R"({"delta": "x"})").status == 400);
  CHECK(adjust("{").status == 400);
  CHECK(kit::http("POST", url() + "/internal/stock/" + core::uuid_v7() + "/adjust", R"({"delta": 1})").status == 404);
  CHECK(level(p) == LevelRow{2, 0});
  auto changes = published(p);
  REQUIRE(changes.size() == 3);  // INITIAL, +3, -6
  CHECK(kit::data_member(changes[1], "reason") == "ADJUSTMENT");
  CHECK(kit::json(changes[2].data)["delta"].GetInt64() == -6);
  CHECK(kit::data_member(changes[2], "orderId").empty());

  // 40 concurrent removals of one unit from 20: exactly 20 succeed
  REQUIRE(adjust(R"({"set": 20})").status == 200);
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> admins;
  for (int i = 0; i < 40; ++i)
    admins.emplace_back([&] {
      auto res = adjust(R"({"delta": -1})");
      if (res.status == 200) ++ok;
      if (res.status == 409) ++conflict;
    });
  for (auto& t : admins) t.join();
  CHECK(ok == 20);
  CHECK(conflict == 20);
  CHECK(level(p) == LevelRow{0, 0});
}

TEST_CASE("stock: a deleted product takes no new reservations", "[stock]") {
  const std::string p = new_product(5);
  contracts::ProductDeletedV1 deleted{{p}, events::now_rfc3339()};
  kit::publish(std::string(events::topic::catalog), "PRODUCT_DELETED", p, to_json(deleted));
  REQUIRE(eventually(
      [&] { return kit::scalar<bool>(db(), "SELECT NOT active FROM levels WHERE product_id = $1::uuid", p) == true; },
      30s));
  const std::string order = core::uuid_v7();
  CHECK(place(order, {{p, 1}}) == "REJECTED");
  auto rejected = published(order);
  REQUIRE(rejected.size() == 1);
  CHECK(kit::data_member(rejected[0], "reason") == "UNKNOWN_PRODUCT");
  CHECK(kit::http("GET", url() + "/api/stock/" + p, "", kit::as_admin(kAdmin)).status == 404);
}
