// The cart store on a scratch database of its own (the service's migrations, real PostgreSQL),
// driven through its public header: lines merge up to their bound, a cart holds a bounded number
// of lines, and a checkout removes exactly the lines that were ordered and records its key once.
#include <catch2/catch.hpp>
#include <ostream>
#include <vector>

#include "bus_fixture.hpp"
#include "shopmesh/cart/store.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::cart {
const std::vector<core::Migration>& migrations();
}

using namespace shopmesh;
using namespace std::chrono_literals;
using cart::CartStore;

namespace {

struct Fixture {
  testing::TestDatabase db{"it_cart_store", {{"cart", &cart::migrations()}}};
  testing::Infra infra;
  core::PgPool pool{db.url, 2, 10s, infra.log};
  CartStore store{pool};
};

// A cart line as "product x quantity", for readable comparisons.
struct Shown {
  std::string product_id;
  std::int64_t quantity = 0;
  bool operator==(const Shown&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Shown& s) {
  return out << s.product_id.substr(24) << " x " << s.quantity;
}

std::vector<Shown> shown(const std::vector<cart::CartLine>& lines) {
  std::vector<Shown> out;
  for (const auto& l : lines) out.push_back({l.product_id, l.quantity});
  return out;
}

}  // namespace

TEST_CASE("cart store: lines merge up to 100 units, oldest first", "[cart-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string mug = core::uuid_v7(), lamp = core::uuid_v7();
  CHECK(f.store.add(user, {mug, 60}) == CartStore::AddOutcome::added);
  CHECK(f.store.add(user, {lamp, 1}) == CartStore::AddOutcome::added);
  CHECK(f.store.add(user, {mug, 30}) == CartStore::AddOutcome::merged);
  CHECK(f.store.add(user, {mug, 11}) == CartStore::AddOutcome::line_full);  // 101 > 100
  CHECK(f.store.add(user, {mug, 10}) == CartStore::AddOutcome::merged);
  CHECK(shown(f.store.lines(user)) == std::vector<Shown>{{mug, 100}, {lamp, 1}});
  CHECK(f.store.lines(core::uuid_v7()).empty());  // carts are per user
}

TEST_CASE("cart store: a cart holds at most 100 lines", "[cart-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  for (std::size_t i = 0; i < cart::kMaxLines; ++i)
    REQUIRE(f.store.add(user, {core::uuid_v7(), 1}) == CartStore::AddOutcome::added);
  CHECK(f.store.add(user, {core::uuid_v7(), 1}) == CartStore::AddOutcome::cart_full);
  const auto lines = f.store.lines(user);
  REQUIRE(lines.size() == cart::kMaxLines);
  CHECK(f.store.add(user, {lines[0].product_id, 1}) == CartStore::AddOutcome::merged);  // a line it has still merges
}

TEST_CASE("cart store: set a quantity, remove a line, clear", "[cart-store]") {
  Fixture f;
  const std::string user = core::uuid_v7(), other = core::uuid_v7();
  const std::string mug = core::uuid_v7(), lamp = core::uuid_v7();
  CHECK_FALSE(f.store.set_quantity(user, mug, 3));  // no such line
  REQUIRE(f.store.add(user, {mug, 1}) == CartStore::AddOutcome::added);
  REQUIRE(f.store.add(user, {lamp, 2}) == CartStore::AddOutcome::added);
  REQUIRE(f.store.add(other, {mug, 5}) == CartStore::AddOutcome::added);
  CHECK(f.store.set_quantity(user, mug, 7));
  CHECK(shown(f.store.lines(user)) == std::vector<Shown>{{mug, 7}, {lamp, 2}});
  CHECK(f.store.set_quantity(user, lamp, 0));  // 0 removes
  CHECK(shown(f.store.lines(user)) == std::vector<Shown>{{mug, 7}});
  CHECK(f.store.remove(user, mug));
  CHECK_FALSE(f.store.remove(user, mug));
  CHECK(f.store.lines(user).empty());
  REQUIRE(f.store.add(user, {lamp, 1}) == CartStore::AddOutcome::added);
  f.store.clear(user);
  CHECK(f.store.lines(user).empty());
  CHECK(shown(f.store.lines(other)) == std::vector<Shown>{{mug, 5}});  // someone else's cart is untouched
}

TEST_CASE("cart store: checkout removes the lines exactly as ordered", "[cart-store]") {
  Fixture f;
  const std::string user = core::uuid_v7();
  const std::string mug = core::uuid_v7(), lamp = core::uuid_v7(), pen = core::uuid_v7();
  for (const auto& line : std::vector<cart::CartLine>{{mug, 2}, {lamp, 3}, {pen, 1}})
    REQUIRE(f.store.add(user, line) == CartStore::AddOutcome::added);
  const std::string key = "checkout-" + core::uuid_v7();
  const std::string order = core::uuid_v7();
  CHECK_FALSE(f.store.find_checkout(user, key));

  // the lamp's line changed to 3 after the order was sent with 1 of it: it stays in the cart
  f.store.complete_checkout(user, key, "fingerprint-a", order, {{mug, 2}, {lamp, 1}});
  CHECK(shown(f.store.lines(user)) == std::vector<Shown>{{lamp, 3}, {pen, 1}});
  auto record = f.store.find_checkout(user, key);
  REQUIRE(record);
  CHECK(record->order_id == order);
  CHECK(record->fingerprint == "fingerprint-a");
  CHECK_FALSE(f.store.find_checkout(core::uuid_v7(), key));  // keys are per user

  // the first checkout of a key stands
  f.store.complete_checkout(user, key, "fingerprint-b", core::uuid_v7(), {{pen, 1}});
  record = f.store.find_checkout(user, key);
  REQUIRE(record);
  CHECK(record->order_id == order);
  CHECK(record->fingerprint == "fingerprint-a");
  CHECK(shown(f.store.lines(user)) == std::vector<Shown>{{lamp, 3}});

  // without a key nothing is recorded
  f.store.complete_checkout(user, std::nullopt, "fingerprint-c", core::uuid_v7(), {{lamp, 3}});
  CHECK(f.store.lines(user).empty());
}
