// The orders store on a scratch database of its own (the service's migrations, real PostgreSQL),
// driven through its public header: orders placed with their ORDER_CREATED, Idempotency-Keys, and
// status changes as conditional updates, so a repeated or concurrent attempt changes an order once.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "bus_fixture.hpp"
#include "outbox_tap.hpp"
#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/orders/store.hpp"

namespace shopmesh::orders {
const std::vector<core::Migration>& migrations();
}

using namespace shopmesh;
using namespace std::chrono_literals;
using orders::OrderStatus;
using orders::OrderStore;
using testing::count_of;

namespace {

// A scratch orders database, its pool, the store on it and a tap on its outbox.
struct Fixture {
  testing::TestDatabase db{"it_orders_store", {{"events", &events::migrations()}, {"orders", &orders::migrations()}}};
  testing::Infra infra;
  core::PgPool pool{db.url, 8, 10s, infra.log};
  OrderStore store{pool, events::Outbox("orders")};
  testing::OutboxTap tap{db};
};

const events::EventContext kCtx{"it-orders-store", "", ""};

orders::OrderRequest request_for(const std::string& product, std::int64_t quantity) {
  orders::OrderRequest r;
  r.items.push_back({product, quantity});
  r.shipping_address = orders::Address{"1 Store Street", std::nullopt, "Springfield", "12345", "US"};
  return r;
}

orders::PricedOrder priced(const std::string& product, std::int64_t quantity, std::int64_t unit_cents) {
  orders::PricedOrder p;
  p.lines.push_back({product, "Store mug", core::Cents{unit_cents}, quantity, core::Cents{unit_cents * quantity}});
  p.total = core::Cents{unit_cents * quantity};
  return p;
}

// A new PENDING order of `user` (one line: 2 × 12.50).
std::string place(OrderStore& store, const std::string& user) {
  const std::string product = core::uuid_v7();
  return store.place(user, request_for(product, 2), priced(product, 2, 1250), std::nullopt, kCtx).order.id;
}

// The status of an order as an administrator sees it.
OrderStatus status_of(OrderStore& store, const std::string& id) {
  auto o = store.find(id, {core::uuid_v7(), true});
  REQUIRE(o);
  return o->status;
}

// The status of the DomainError `f` throws (0 when it throws none).
template <class F>
int client_error_of(F&& f) {
  try {
    f();
  } catch (const core::DomainError& e) {
    return core::status_of(e.fault());
  }
  return 0;
}

}  // namespace

TEST_CASE("orders store: place writes a PENDING order and ORDER_CREATED", "[orders-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string product = core::uuid_v7();
  const auto placed = f.store.place(user, request_for(product, 3), priced(product, 3, 1999), std::nullopt, kCtx);
  CHECK_FALSE(placed.replayed);
  REQUIRE(core::is_uuid(placed.order.id));

  const auto mine = f.store.find(placed.order.id, {user, false});
  REQUIRE(mine);
  CHECK(mine->status == OrderStatus::pending);
  CHECK(mine->user_id == user);
  CHECK(mine->total.value == 5997);
  REQUIRE(mine->lines.size() == 1);
  CHECK(mine->lines[0].product_id == product);
  CHECK(mine->lines[0].quantity == 3);
  CHECK(mine->lines[0].subtotal.value == 5997);
  REQUIRE(mine->shipping_address);
  CHECK(mine->shipping_address->city == "Springfield");
  CHECK_FALSE(f.store.find(placed.order.id, {core::uuid_v7(), false}));  // another customer
  CHECK(f.store.find(placed.order.id, {core::uuid_v7(), true}));         // an administrator

  const auto events = f.tap.take();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "ORDER_CREATED");
  CHECK(events[0].topic == "order.events");
  CHECK(events[0].key == placed.order.id);
}

TEST_CASE("orders store: a reused Idempotency-Key replays or is 422", "[orders-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string product = core::uuid_v7();
  const orders::IdempotencyKey key{"key-" + core::uuid_v7(), "fingerprint-a"};
  const auto first = f.store.place(user, request_for(product, 1), priced(product, 1, 500), key, kCtx);
  CHECK_FALSE(first.replayed);

  const auto again = f.store.place(user, request_for(product, 1), priced(product, 1, 500), key, kCtx);
  CHECK(again.replayed);
  CHECK(again.order.id == first.order.id);
  const auto found = f.store.find_by_key(user, key);
  REQUIRE(found);
  CHECK(found->id == first.order.id);
  CHECK_FALSE(f.store.find_by_key(user, {"another-key", "fingerprint-a"}));

  const orders::IdempotencyKey other_body{key.key, "fingerprint-b"};
  CHECK(client_error_of([&] { f.store.find_by_key(user, other_body); }) == 422);
  const auto other_request = request_for(product, 2);
  const auto other_price = priced(product, 2, 500);
  CHECK(client_error_of([&] { f.store.place(user, other_request, other_price, other_body, kCtx); }) == 422);

  // keys are per user: another user's order under the same key is a new one
  const auto theirs = f.store.place(core::uuid_v7(), request_for(product, 1), priced(product, 1, 500), key, kCtx);
  CHECK_FALSE(theirs.replayed);
  CHECK(theirs.order.id != first.order.id);

  const auto events = f.tap.take();
  CHECK(count_of(events, "ORDER_CREATED") == 2);
  CHECK(count_of(events, "ORDER_CREATED", first.order.id) == 1);
}

TEST_CASE("orders store: concurrent places with one key make one order", "[orders-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string product = core::uuid_v7();
  const orders::IdempotencyKey key{"race-" + core::uuid_v7(), "fingerprint"};
  constexpr int kRequests = 8;
  std::vector<std::string> ids(kRequests);
  std::vector<int> replayed(kRequests, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i)
    threads.emplace_back([&, i] {  // no assertion off the test's thread
      try {
        const auto p = f.store.place(user, request_for(product, 1), priced(product, 1, 100), key, kCtx);
        ids[i] = p.order.id;
        replayed[i] = p.replayed ? 1 : 0;
      } catch (const std::exception&) {
      }
    });
  for (auto& t : threads) t.join();
  int created = 0;
  for (int i = 0; i < kRequests; ++i) {
    INFO("request " << i);
    REQUIRE(replayed[i] != -1);
    CHECK(ids[i] == ids[0]);
    created += replayed[i] == 0 ? 1 : 0;
  }
  CHECK(created == 1);
  CHECK(count_of(f.tap.take(), "ORDER_CREATED") == 1);
}

TEST_CASE("orders store: confirm and reject move only PENDING orders", "[orders-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string confirmed = place(f.store, user);
  const std::string rejected = place(f.store, user);
  const std::string cancelled = place(f.store, user);
  REQUIRE(f.store.cancel(cancelled, {user, false}, kCtx).outcome == OrderStore::Outcome::changed);
  f.tap.take();
  auto confirm = [&](const std::string& id) {
    return f.pool.transact([&](pqxx::work& tx) { return f.store.confirm(tx, id, kCtx); });
  };
  auto reject = [&](const std::string& id) {
    return f.pool.transact([&](pqxx::work& tx) { return f.store.reject(tx, id, "OUT_OF_STOCK", kCtx); });
  };

  CHECK(confirm(confirmed));
  CHECK_FALSE(confirm(confirmed));  // a redelivered STOCK_RESERVED
  CHECK_FALSE(reject(confirmed));
  CHECK(status_of(f.store, confirmed) == OrderStatus::confirmed);

  CHECK(reject(rejected));
  CHECK_FALSE(reject(rejected));
  CHECK_FALSE(confirm(rejected));
  auto r = f.store.find(rejected, {user, false});
  REQUIRE(r);
  CHECK(r->status == OrderStatus::rejected);
  CHECK(r->status_reason == "OUT_OF_STOCK");

  CHECK_FALSE(confirm(cancelled));  // a decision arriving after the cancel does not resurrect it
  CHECK_FALSE(reject(cancelled));
  CHECK(status_of(f.store, cancelled) == OrderStatus::cancelled);
  CHECK_FALSE(confirm(core::uuid_v7()));  // an order this service does not have

  const auto events = f.tap.take();
  CHECK(events.size() == 2);
  CHECK(count_of(events, "ORDER_CONFIRMED", confirmed) == 1);
  CHECK(count_of(events, "ORDER_REJECTED", rejected) == 1);
}

TEST_CASE("orders store: concurrent confirms change an order once", "[orders-store]") {
  Fixture f;
  const std::string id = place(f.store, core::uuid_v7());
  f.tap.take();
  constexpr int kAttempts = 8;
  std::atomic<int> changed{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i)
    threads.emplace_back([&] {
      try {
        if (f.pool.transact([&](pqxx::work& tx) { return f.store.confirm(tx, id, kCtx); })) ++changed;
      } catch (const std::exception&) {
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(changed == 1);
  CHECK(count_of(f.tap.take(), "ORDER_CONFIRMED", id) == 1);
}

TEST_CASE("orders store: cancel and the administrators' moves", "[orders-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const orders::Caller owner{user, false};
  const orders::Caller admin{core::uuid_v7(), true};

  const std::string pending = place(f.store, user);
  CHECK(f.store.cancel(pending, {core::uuid_v7(), false}, kCtx).outcome == OrderStore::Outcome::not_found);
  auto c = f.store.cancel(pending, owner, kCtx);
  REQUIRE(c.outcome == OrderStore::Outcome::changed);
  REQUIRE(c.order);
  CHECK(c.order->status == OrderStatus::cancelled);
  CHECK(c.order->status_reason == "CANCELLED_BY_CUSTOMER");
  c = f.store.cancel(pending, owner, kCtx);
  CHECK(c.outcome == OrderStore::Outcome::wrong_status);
  CHECK(c.current == OrderStatus::cancelled);
  CHECK(f.store.cancel(core::uuid_v7(), admin, kCtx).outcome == OrderStore::Outcome::not_found);

  const std::string shipped = place(f.store, user);
  CHECK(f.store.move(shipped, OrderStatus::shipped, kCtx).outcome == OrderStore::Outcome::wrong_status);  // PENDING
  REQUIRE(f.pool.transact([&](pqxx::work& tx) { return f.store.confirm(tx, shipped, kCtx); }));
  CHECK(f.store.move(shipped, OrderStatus::delivered, kCtx).outcome == OrderStore::Outcome::wrong_status);
  auto m = f.store.move(shipped, OrderStatus::shipped, kCtx);
  REQUIRE(m.outcome == OrderStore::Outcome::changed);
  CHECK(m.order->status == OrderStatus::shipped);
  c = f.store.cancel(shipped, admin, kCtx);
  CHECK(c.outcome == OrderStore::Outcome::wrong_status);
  CHECK(c.current == OrderStatus::shipped);
  CHECK(f.store.move(shipped, OrderStatus::delivered, kCtx).outcome == OrderStore::Outcome::changed);

  const std::string confirmed = place(f.store, user);
  REQUIRE(f.pool.transact([&](pqxx::work& tx) { return f.store.confirm(tx, confirmed, kCtx); }));
  c = f.store.cancel(confirmed, admin, kCtx);
  REQUIRE(c.outcome == OrderStore::Outcome::changed);
  CHECK(c.order->status_reason == "CANCELLED_BY_ADMIN");

  const auto events = f.tap.take();
  CHECK(count_of(events, "ORDER_CANCELLED") == 2);
  CHECK(count_of(events, "ORDER_CANCELLED", pending) == 1);
  CHECK(count_of(events, "ORDER_CANCELLED", confirmed) == 1);
  CHECK(count_of(events, "ORDER_STATUS_CHANGED", shipped) == 2);
}

TEST_CASE("orders store: customers list their own orders only", "[orders-store]") {
  Fixture f;
  const std::string ann = core::uuid_v7(), bob = core::uuid_v7();
  for (int i = 0; i < 3; ++i) place(f.store, ann);
  const std::string bobs = place(f.store, bob);
  orders::ListQuery q;
  const auto mine = f.store.list(q, {ann, false});
  CHECK(mine.total == 3);
  REQUIRE(mine.items.size() == 3);
  for (const auto& o : mine.items) CHECK(o.user_id == ann);
  CHECK(mine.items[0].lines.size() == 1);

  q.user_id = bob;  // ignored for a customer: always their own
  CHECK(f.store.list(q, {ann, false}).total == 3);
  const auto theirs = f.store.list(q, {core::uuid_v7(), true});
  REQUIRE(theirs.items.size() == 1);
  CHECK(theirs.items[0].id == bobs);

  orders::ListQuery all;
  all.limit = 2;
  all.page = 2;
  const auto page = f.store.list(all, {core::uuid_v7(), true});
  CHECK(page.total == 4);
  CHECK(page.items.size() == 2);
}
