#include "shopmesh/products/store.hpp"

#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/contracts/product_deleted_v1.hpp"
#include "shopmesh/contracts/product_updated_v1.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/products/queries.hpp"

namespace shopmesh::products {
namespace {

// The attributes column (a flat JSON object of strings, as the API validated it).
Attributes read_attributes(const std::string& text) {
  Attributes out;
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) return out;
  for (const auto& m : d.GetObject())
    if (m.value.IsString())
      out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                  std::string(m.value.GetString(), m.value.GetStringLength()));
  return out;
}

std::string attributes_json(const Attributes& a) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  for (const auto& [k, v] : a) core::json::kv(w, k, v);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Product read_product(const pqxx::row& r) {
  Product p;
  p.id = r[0].as<std::string>();
  p.sku = r[1].as<std::string>();
  p.name = r[2].as<std::string>();
  p.description = r[3].as<std::string>();
  p.price = core::Cents{r[4].as<std::int64_t>()};
  p.category = r[5].as<std::string>();
  p.image_url = r[6].as<std::string>();
  p.stock = r[7].as<std::int64_t>();
  p.active = r[8].as<bool>();
  p.created_at = r[9].as<std::string>();
  p.updated_at = r[10].as<std::string>();
  p.attributes = read_attributes(r[11].as<std::string>());
  return p;
}

Category read_category(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
          r[4].as<std::string>()};
}

// The page query for a sort order.
const core::Sql& list_query(SortOrder s) {
  switch (s) {
    case SortOrder::price_asc:
      return queries::list_products_by_price();
    case SortOrder::price_desc:
      return queries::list_products_by_price_desc();
    case SortOrder::name_asc:
      return queries::list_products_by_name();
    case SortOrder::created_desc:
      return queries::list_products_newest();
  }
  return queries::list_products_newest();
}

std::optional<std::string> nonempty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

core::DomainError sku_taken() {
  return core::conflict("A product with this SKU already exists.");
}

// Runs a product write; a unique violation can only be the live-SKU index.
template <class F>
auto sku_checked(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::unique_violation&) {
    throw sku_taken();
  }
}

}  // namespace

Page ProductStore::list(const ListQuery& q) {
  // Optional filters are NULL-guarded parameters, so there is one query per sort order.
  auto cents = [](const std::optional<core::Cents>& c) {
    return c ? std::optional<std::int64_t>(c->value) : std::nullopt;
  };
  return db_.transact([&](pqxx::work& tx) {
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    auto total = core::exec1(tx, queries::count_products(), q.text, q.category, cents(q.min_price),
                             cents(q.max_price), q.in_stock);
    page.total = total[0].as<std::int64_t>();
    auto rows = core::exec(tx, list_query(q.sort), q.text, q.category, cents(q.min_price), cents(q.max_price),
                           q.in_stock, q.limit, static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_product(r));
    return page;
  });
}

std::optional<Product> ProductStore::find(const std::string& id) {
  return db_.read([&](pqxx::nontransaction& tx) -> std::optional<Product> {
    auto rows = core::exec(tx, queries::find_product(), id);
    if (rows.empty()) return std::nullopt;
    return read_product(rows[0]);
  });
}

std::vector<Product> ProductStore::find_many(const std::vector<std::string>& ids) {
  return db_.read([&](pqxx::nontransaction& tx) {
    std::vector<Product> out;
    auto rows = core::exec(tx, queries::find_products(),
                           core::array_literal(ids, [](const std::string& id) -> const std::string& { return id; }));
    for (const auto& r : rows) out.push_back(read_product(r));
    return out;
  });
}

// The category a product is filed under: an existing category matched by name (any case) or by
// slug, else a new category registered on first use, so GET /api/categories lists every category
// products carry. Returns the category's canonical name.
std::optional<std::string> ProductStore::resolve_category(pqxx::work& tx, const std::optional<std::string>& given) {
  if (!given) return std::nullopt;
  const std::string slug = slugify(*given);
  auto rows = core::exec(tx, queries::find_category(), *given, slug);
  if (!rows.empty()) return rows[0][0].as<std::string>();
  core::exec(tx, queries::register_category(), core::uuid_v7(), *given, slug);
  rows = core::exec(tx, queries::find_category(), *given, slug);
  return rows.empty() ? *given : rows[0][0].as<std::string>();
}

Product ProductStore::create(const NewProduct& np, const events::EventContext& ctx) {
  return sku_checked([&] {
    return db_.transact([&](pqxx::work& tx) {
      const auto& f = np.fields;
      const auto category = resolve_category(tx, f.category);
      auto row = core::exec1(tx, queries::insert_product(), core::uuid_v7(), f.sku, f.name, f.description,
                             f.price.value, category, f.image_url, np.initial_stock, f.active,
                             attributes_json(f.attributes));
      Product p = read_product(row);
      contracts::ProductCreatedV1 event;
      event.product_id = {p.id};
      event.sku = p.sku;
      event.name = p.name;
      event.price = p.price;
      event.category = nonempty(p.category);
      event.active = p.active;
      event.stock = p.stock;
      event.created_at = p.created_at;
      outbox_.add(tx, events::topic::catalog, p.id, event, ctx);
      return p;
    });
  });
}

Product ProductStore::write_fields(pqxx::work& tx, const std::string& id, const ProductFields& f,
                                   const events::EventContext& ctx) {
  const auto category = resolve_category(tx, f.category);
  auto rows = core::exec(tx, queries::update_product(), id, f.sku, f.name, f.description, f.price.value, category,
                         f.image_url, f.active, attributes_json(f.attributes));
  Product p = read_product(rows.at(0));
  contracts::ProductUpdatedV1 event;
  event.product_id = {p.id};
  event.sku = p.sku;
  event.name = p.name;
  event.price = p.price;
  event.category = nonempty(p.category);
  event.active = p.active;
  event.updated_at = p.updated_at;
  outbox_.add(tx, events::topic::catalog, p.id, event, ctx);
  return p;
}

std::optional<Product> ProductStore::replace(const std::string& id, const ProductFields& fields,
                                             const events::EventContext& ctx) {
  return sku_checked([&] {
    return db_.transact([&](pqxx::work& tx) -> std::optional<Product> {
      if (core::exec(tx, queries::lock_product(), id).empty())
        return std::nullopt;
      return write_fields(tx, id, fields, ctx);
    });
  });
}

std::optional<Product> ProductStore::patch(const std::string& id, const ProductPatch& changes,
                                           const events::EventContext& ctx) {
  return sku_checked([&] {
    return db_.transact([&](pqxx::work& tx) -> std::optional<Product> {
      auto rows = core::exec(tx, queries::lock_product_columns(), id);
      if (rows.empty()) return std::nullopt;
      return write_fields(tx, id, apply_patch(read_product(rows[0]), changes), ctx);
    });
  });
}

bool ProductStore::remove(const std::string& id, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::delete_product(), id);
    if (rows.empty()) return false;
    contracts::ProductDeletedV1 event;
    event.product_id = {id};
    event.deleted_at = rows[0][0].as<std::string>();
    outbox_.add(tx, events::topic::catalog, id, event, ctx);
    return true;
  });
}

void ProductStore::set_stock(const std::string& id, std::int64_t available, const std::string& changed_at) {
  db_.transact([&](pqxx::work& tx) {
    if (changed_at.empty()) {
      core::exec(tx, queries::set_stock(), id, available);
      return;
    }
    apply_stock_level(tx, id, available, changed_at);
  });
}

bool ProductStore::apply_stock_level(pqxx::work& tx, const std::string& id, std::int64_t available,
                                     const std::string& changed_at) {
  // Levels of one product arrive in order (one key, one partition); the watermark guards against
  // replays of older events and, after the synchronous answer to an adjustment (set_stock), against
  // the events still in flight from before it, which would roll the figure back until its own
  // event arrived. The adjustment's own event carries the same changedAt and applies again.
  return !core::exec(tx, queries::apply_stock_level(), id, available, changed_at).empty();
}

CategoryPage ProductStore::list_categories(const Paging& paging) {
  return db_.transact([&](pqxx::work& tx) {
    CategoryPage page;
    page.page = paging.page;
    page.limit = paging.limit;
    page.total = core::exec1(tx, queries::count_categories())[0].as<std::int64_t>();
    auto rows = core::exec(tx, queries::list_categories(), paging.limit,
                           static_cast<std::int64_t>(paging.page - 1) * paging.limit);
    for (const auto& r : rows) page.items.push_back(read_category(r));
    return page;
  });
}

Category ProductStore::create_category(const NewCategory& c) {
  auto created = db_.transact([&](pqxx::work& tx) -> std::optional<Category> {
    auto rows = core::exec(tx, queries::insert_category(), core::uuid_v7(), c.name, c.slug, c.description);
    if (rows.empty()) return std::nullopt;
    return read_category(rows[0]);
  });
  if (!created) throw core::conflict("A category with this name or slug already exists.");
  return *created;
}

}  // namespace shopmesh::products
