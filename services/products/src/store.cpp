#include "store.hpp"

#include "shopmesh/core/pg.hpp"

namespace shopmesh::products {
namespace {

constexpr const char* kColumns =
    "id::text, sku, name, description, price_cents, coalesce(category, ''), coalesce(image_url, ''), stock, active,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

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
  return p;
}

const char* order_by(SortOrder s) {
  switch (s) {
    case SortOrder::price_asc: return "price_cents ASC, id";
    case SortOrder::price_desc: return "price_cents DESC, id";
    case SortOrder::name_asc: return "name ASC, id";
    case SortOrder::created_desc: return "created_at DESC, id DESC";
  }
  return "created_at DESC, id DESC";
}

}  // namespace

Page ProductStore::list(const ListQuery& q) {
  // Optional filters are NULL-guarded parameters, so the statement text is fixed per sort order.
  const std::string where =
      " FROM products WHERE deleted_at IS NULL AND active"
      " AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))"
      " AND ($2::text IS NULL OR category = $2)"
      " AND ($3::bigint IS NULL OR price_cents >= $3)"
      " AND ($4::bigint IS NULL OR price_cents <= $4)"
      " AND ($5::boolean IS NULL OR (stock > 0) = $5)";
  auto cents = [](const std::optional<core::Cents>& c) {
    return c ? std::optional<std::int64_t>(c->value) : std::nullopt;
  };
  return db_.transact([&](pqxx::work& tx) {
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    auto total = tx.exec_params("SELECT count(*)" + where, q.text, q.category, cents(q.min_price),
                                cents(q.max_price), q.in_stock);
    page.total = total[0][0].as<std::int64_t>();
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns + where + " ORDER BY " + order_by(q.sort) +
                                   " LIMIT $6 OFFSET $7",
                               q.text, q.category, cents(q.min_price), cents(q.max_price), q.in_stock, q.limit,
                               static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_product(r));
    return page;
  });
}

std::optional<Product> ProductStore::find(const std::string& id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Product> {
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns + " FROM products WHERE id = $1 AND deleted_at IS NULL",
                               id);
    if (rows.empty()) return std::nullopt;
    return read_product(rows[0]);
  });
}

}  // namespace shopmesh::products
