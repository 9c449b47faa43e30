// The stock store on a scratch database of its own (the service's migrations, real PostgreSQL),
// driven through its public header: reserve_orders reserves every line of an order or none, never
// below zero, decides an order once however often it is delivered, and release gives back what
// was reserved, once; each change writes its events in the same transaction.
#include <catch2/catch.hpp>
#include <ostream>
#include <vector>

#include "bus_fixture.hpp"
#include "outbox_tap.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/stock/store.hpp"

namespace shopmesh::stock {
const std::vector<core::Migration>& migrations();
}

using namespace shopmesh;
using namespace std::chrono_literals;
using stock::ReserveOutcome;
using stock::StockStore;
using testing::count_of;

namespace {

const events::EventContext kCtx{"it-stock-store", "", ""};

struct Units {
  std::int64_t available = 0, reserved = 0;
  bool operator==(const Units&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Units& u) {
  return out << "{available " << u.available << ", reserved " << u.reserved << "}";
}

// A scratch stock database, its pool, the store on it (orders naming a product without a level wait
// `product_wait` for it) and a tap on its outbox.
struct Fixture {
  explicit Fixture(std::chrono::milliseconds product_wait = 0ms) : store(pool, events::Outbox("stock"), product_wait) {}
  testing::TestDatabase db{"it_stock_store", {{"events", &events::migrations()}, {"stock", &stock::migrations()}}};
  testing::Infra infra;
  core::PgPool pool{db.url, 4, 10s, infra.log};
  StockStore store;
  testing::OutboxTap tap{db};

  // A new product's level with `units` available (as PRODUCT_CREATED opens it).
  std::string level(std::int64_t units) {
    const std::string id = core::uuid_v7();
    REQUIRE(pool.transact([&](pqxx::work& tx) { return store.open_level(tx, id, units, kCtx); }));
    return id;
  }
  std::vector<ReserveOutcome> reserve(const std::vector<StockStore::OrderLines>& orders) {
    return pool.transact([&](pqxx::work& tx) { return store.reserve(tx, orders); });
  }
  std::vector<stock::Line> release(const std::string& order) {
    return pool.transact([&](pqxx::work& tx) { return store.release(tx, order, StockStore::Ending::cancelled, kCtx); });
  }
  // A product's level as the HTTP API reads it; {-1, -1} when it has no active level.
  Units units(const std::string& product) {
    const auto l = store.find(product);
    return l ? Units{l->available, l->reserved} : Units{-1, -1};
  }
};

StockStore::OrderLines order_of(std::vector<stock::Line> lines) {
  return {core::uuid_v7(), std::move(lines), kCtx};
}

}  // namespace

TEST_CASE("stock store: an order reserves all its lines or none", "[stock-store]") {
  Fixture f;
  const std::string a = f.level(5), b = f.level(2);
  CHECK(count_of(f.tap.take(), "STOCK_CHANGED") == 2);  // INITIAL

  const auto fits = order_of({{a, 2}, {b, 1}, {a, 1}});  // two lines of `a`: merged
  REQUIRE(f.reserve({fits}) == std::vector{ReserveOutcome::reserved});
  CHECK(f.units(a) == Units{2, 3});
  CHECK(f.units(b) == Units{1, 1});

  const auto too_many = order_of({{a, 1}, {b, 2}});
  REQUIRE(f.reserve({too_many}) == std::vector{ReserveOutcome::rejected});
  CHECK(f.units(a) == Units{2, 3});  // nothing of `a` was taken for it either
  CHECK(f.units(b) == Units{1, 1});

  const auto events = f.tap.take();
  CHECK(count_of(events, "STOCK_RESERVED", fits.order_id) == 1);
  CHECK(count_of(events, "STOCK_CHANGED") == 2);
  CHECK(count_of(events, "STOCK_CHANGED", a) == 1);
  REQUIRE(count_of(events, "STOCK_REJECTED", too_many.order_id) == 1);
  for (const auto& e : events)
    if (e.type == "STOCK_REJECTED") CHECK(testing::data_text(e, "reason") == "OUT_OF_STOCK");
  CHECK(events.size() == 4);
}

TEST_CASE("stock store: a redelivered order is decided once", "[stock-store]") {
  Fixture f;
  const std::string a = f.level(3);
  const auto order = order_of({{a, 2}});
  REQUIRE(f.reserve({order}) == std::vector{ReserveOutcome::reserved});
  f.tap.take();

  CHECK(f.reserve({order}) == std::vector{ReserveOutcome::already_decided});
  CHECK(f.reserve({order, order}) == std::vector{ReserveOutcome::already_decided, ReserveOutcome::already_decided});
  CHECK(f.units(a) == Units{1, 2});
  CHECK(f.tap.take().empty());

  // the same order twice in one batch (a replay under another event id): reserved once
  const auto twice = order_of({{a, 1}});
  CHECK(f.reserve({twice, twice}) == std::vector{ReserveOutcome::reserved, ReserveOutcome::already_decided});
  CHECK(f.units(a) == Units{0, 3});
  CHECK(count_of(f.tap.take(), "STOCK_RESERVED", twice.order_id) == 1);

  // a rejected order stays rejected when the stock comes back
  const auto late = order_of({{a, 1}});
  REQUIRE(f.reserve({late}) == std::vector{ReserveOutcome::rejected});
  f.release(order.order_id);
  CHECK(f.reserve({late}) == std::vector{ReserveOutcome::already_decided});
  CHECK(f.units(a) == Units{2, 1});
}

TEST_CASE("stock store: a batch reserves in order until stock runs out", "[stock-store]") {
  Fixture f;
  const std::string a = f.level(3);
  std::vector<StockStore::OrderLines> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(order_of({{a, 1}}));
  CHECK(f.reserve(batch) == std::vector{ReserveOutcome::reserved, ReserveOutcome::reserved, ReserveOutcome::reserved,
                                        ReserveOutcome::rejected, ReserveOutcome::rejected});
  CHECK(f.units(a) == Units{0, 3});
  const auto events = f.tap.take();
  CHECK(count_of(events, "STOCK_RESERVED") == 3);
  CHECK(count_of(events, "STOCK_REJECTED") == 2);
  std::vector<std::int64_t> published;
  for (const auto& e : events)
    if (e.type == "STOCK_CHANGED" && e.key == a) published.push_back(testing::data_int(e, "available").value_or(-1));
  CHECK(published == std::vector<std::int64_t>{3, 2, 1, 0});  // opened, then each reservation: never below zero
}

TEST_CASE("stock store: release gives reserved units back once", "[stock-store]") {
  Fixture f;
  const std::string a = f.level(4), b = f.level(4);
  const auto order = order_of({{a, 3}, {b, 1}});
  REQUIRE(f.reserve({order}) == std::vector{ReserveOutcome::reserved});
  f.tap.take();

  const auto released = f.release(order.order_id);
  CHECK(released.size() == 2);
  CHECK(f.units(a) == Units{4, 0});
  CHECK(f.units(b) == Units{4, 0});
  auto events = f.tap.take();
  CHECK(count_of(events, "STOCK_RELEASED", order.order_id) == 1);
  CHECK(count_of(events, "STOCK_CHANGED") == 2);

  CHECK(f.release(order.order_id).empty());  // a redelivered ORDER_CANCELLED
  CHECK(f.units(a) == Units{4, 0});
  CHECK(f.reserve({order}) == std::vector{ReserveOutcome::already_decided});  // never reserved again
  CHECK(f.tap.take().empty());

  // cancelled before its ORDER_CREATED arrived: nothing to release, and it is never reserved
  const auto early = order_of({{a, 1}});
  CHECK(f.release(early.order_id).empty());
  CHECK(f.reserve({early}) == std::vector{ReserveOutcome::already_decided});
  CHECK(f.units(a) == Units{4, 0});
  CHECK(f.tap.take().empty());
}

TEST_CASE("stock store: an unknown product parks the order or rejects it", "[stock-store]") {
  Fixture waits(1h);
  const std::string later = core::uuid_v7();
  const auto parked = order_of({{later, 2}});
  REQUIRE(waits.reserve({parked}) == std::vector{ReserveOutcome::waiting});
  CHECK(waits.tap.take().empty());
  REQUIRE(waits.pool.transact([&](pqxx::work& tx) { return waits.store.open_level(tx, later, 5, kCtx); }));
  const auto resumed = waits.pool.transact([&](pqxx::work& tx) { return waits.store.resume_parked(tx, later); });
  CHECK(resumed.decided == 1);
  CHECK(resumed.waiting == 0);
  CHECK(waits.units(later) == Units{3, 2});
  CHECK(count_of(waits.tap.take(), "STOCK_RESERVED", parked.order_id) == 1);

  // a deleted product is rejected at once, even where orders may wait
  const std::string gone = waits.level(5);
  REQUIRE(waits.pool.transact([&](pqxx::work& tx) { return waits.store.retire_level(tx, gone); }));
  CHECK(waits.reserve({order_of({{gone, 1}})}) == std::vector{ReserveOutcome::rejected});

  Fixture at_once;
  const auto unknown = order_of({{core::uuid_v7(), 1}});
  REQUIRE(at_once.reserve({unknown}) == std::vector{ReserveOutcome::rejected});
  const auto events = at_once.tap.take();
  REQUIRE(count_of(events, "STOCK_REJECTED", unknown.order_id) == 1);
  CHECK(testing::data_text(events.back(), "reason") == "UNKNOWN_PRODUCT");
}

TEST_CASE("stock store: an adjustment never takes a level below zero", "[stock-store]") {
  Fixture f;
  const std::string a = f.level(5);
  f.tap.take();
  const auto below = f.store.adjust(a, {stock::Adjustment::Kind::delta, -6}, kCtx);
  CHECK(below.status == stock::AdjustResult::Status::out_of_range);
  CHECK(f.units(a) == Units{5, 0});
  const auto set = f.store.adjust(a, {stock::Adjustment::Kind::set, 7}, kCtx);
  REQUIRE(set.status == stock::AdjustResult::Status::ok);
  CHECK(set.level.available == 7);
  REQUIRE(set.level.changed_at);
  CHECK_FALSE(set.level.changed_at->empty());
  CHECK(f.units(a) == Units{7, 0});
  CHECK(f.store.adjust(core::uuid_v7(), {stock::Adjustment::Kind::delta, 1}, kCtx).status ==
        stock::AdjustResult::Status::not_found);
  const auto events = f.tap.take();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "STOCK_CHANGED");
  CHECK(testing::data_text(events[0], "changedAt") == set.level.changed_at);  // the watermark products records
}
