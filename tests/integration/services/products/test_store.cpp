// The products store on a scratch database of its own (the service's migrations, real PostgreSQL),
// driven through its public header: the stock projection keeps the changedAt of the newest level it
// applied as a watermark, so neither a replayed nor an in-flight older STOCK_CHANGED rolls it back,
// and catalog writes are guarded by SKU uniqueness with their events in the same transaction.
#include <catch2/catch.hpp>
#include <vector>

#include "bus_fixture.hpp"
#include "outbox_tap.hpp"
#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/products/store.hpp"

namespace shopmesh::products {
const std::vector<core::Migration>& migrations();
}

using namespace shopmesh;
using namespace std::chrono_literals;
using products::ProductStore;
using testing::count_of;

namespace {

const events::EventContext kCtx{"it-products-store", "", ""};

struct Fixture {
  testing::TestDatabase db{"it_products_store",
                           {{"events", &events::migrations()}, {"products", &products::migrations()}}};
  testing::Infra infra;
  core::PgPool pool{db.url, 2, 10s, infra.log};
  ProductStore store{pool, events::Outbox("products")};
  testing::OutboxTap tap{db};

  products::Product create(std::int64_t stock, const std::string& sku = "") {
    products::NewProduct p;
    p.fields.sku = sku.empty() ? "IT-" + core::uuid_v7().substr(24) : sku;
    p.fields.name = "Store lamp";
    p.fields.description = "made by the products store test";
    p.fields.price = core::Cents{2500};
    p.initial_stock = stock;
    return store.create(p, kCtx);
  }
  // STOCK_CHANGED as the consumer applies it.
  bool apply(const std::string& id, std::int64_t available, const std::string& changed_at) {
    return pool.transact([&](pqxx::work& tx) { return store.apply_stock_level(tx, id, available, changed_at); });
  }
  std::int64_t stock(const std::string& id) {
    const auto p = store.find(id);
    return p ? p->stock : -1;
  }
};

}  // namespace

TEST_CASE("products store: an older stock level never rolls back a newer", "[products-store]") {
  Fixture f;
  const std::string id = f.create(3).id;
  REQUIRE(f.stock(id) == 3);

  // an adjustment answered at 10:00:05 (set_stock), while a level of 10:00:01 was still in flight
  f.store.set_stock(id, 5, "2026-12-04T10:00:05.000Z");
  CHECK(f.stock(id) == 5);
  CHECK_FALSE(f.apply(id, 3, "2026-12-04T10:00:01.000Z"));
  CHECK(f.stock(id) == 5);
  CHECK(f.apply(id, 5, "2026-12-04T10:00:05.000Z"));  // the adjustment's own event applies again
  CHECK(f.stock(id) == 5);

  CHECK(f.apply(id, 2, "2026-12-04T10:00:06.000Z"));  // a later reservation
  CHECK(f.stock(id) == 2);
  f.store.set_stock(id, 9, "2026-12-04T10:00:05.500Z");  // an answer overtaken by a later level
  CHECK(f.stock(id) == 2);
  CHECK_FALSE(f.apply(id, 5, "2026-12-04T10:00:05.000Z"));  // a replay
  CHECK(f.stock(id) == 2);

  // an answer without changedAt (nothing changed) sets the figure and keeps the watermark
  f.store.set_stock(id, 4, "");
  CHECK(f.stock(id) == 4);
  CHECK_FALSE(f.apply(id, 1, "2026-12-04T10:00:05.900Z"));
  CHECK(f.stock(id) == 4);
  CHECK(f.apply(id, -2, "2026-12-04T10:00:07.000Z"));  // never below zero in the catalog
  CHECK(f.stock(id) == 0);
  CHECK_FALSE(f.apply(core::uuid_v7(), 1, "2026-12-04T10:00:08.000Z"));  // unknown product
}

TEST_CASE("products store: SKUs are unique among live products", "[products-store]") {
  Fixture f;
  const std::string sku = "IT-" + core::uuid_v7().substr(24);
  const auto first = f.create(1, sku);
  int status = 0;
  try {
    f.create(1, sku);
  } catch (const core::DomainError& e) {
    status = core::status_of(e.fault());
  }
  CHECK(status == 409);
  CHECK(f.store.remove(first.id, kCtx));
  CHECK_FALSE(f.store.remove(first.id, kCtx));
  CHECK_FALSE(f.store.find(first.id));
  const auto second = f.create(1, sku);  // a deleted product frees its SKU
  CHECK(second.id != first.id);

  const auto events = f.tap.take();
  CHECK(count_of(events, "PRODUCT_CREATED") == 2);
  CHECK(count_of(events, "PRODUCT_CREATED", first.id) == 1);
  CHECK(count_of(events, "PRODUCT_DELETED", first.id) == 1);
  CHECK(events.size() == 3);
}
