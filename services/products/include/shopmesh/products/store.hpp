#pragma once
// PostgreSQL access for the catalog: parameterised SQL only. Every write of a product puts its
// catalog event (PRODUCT_CREATED / UPDATED / DELETED, topic catalog.events, key productId) into the
// outbox in the same transaction.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/products/catalog.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::products {

class ProductStore {
 public:
  ProductStore(core::PgPool& db, events::Outbox outbox) : db_(db), outbox_(std::move(outbox)) {}

  /// Active, live products matching the query.
  Page list(const ListQuery& query);
  /// A live product (active or not); nullopt when unknown or deleted.
  std::optional<Product> find(const std::string& id);
  /// The live products among `ids` (active or not), in no particular order.
  std::vector<Product> find_many(const std::vector<std::string>& ids);

  /// Creates a product; throws core::conflict when the SKU is taken.
  Product create(const NewProduct& product, const events::EventContext& ctx);
  /// Replaces the editable fields of a live product; nullopt when there is none; 409 on a taken SKU.
  std::optional<Product> replace(const std::string& id, const ProductFields& fields, const events::EventContext& ctx);
  /// Applies a partial update to a live product; nullopt when there is none; 409 on a taken SKU.
  std::optional<Product> patch(const std::string& id, const ProductPatch& patch, const events::EventContext& ctx);
  /// Soft-deletes a live product; false when there is none.
  bool remove(const std::string& id, const events::EventContext& ctx);

  /// Sets the stock projection from the stock service's answer to an adjustment.
  /// The level the stock service answered an adjustment with, as of `changed_at` (the STOCK_CHANGED
  /// it emitted; empty when nothing changed): events older than it no longer apply.
  void set_stock(const std::string& id, std::int64_t available, const std::string& changed_at);
  /// Applies a STOCK_CHANGED level unless a later one was applied already; true when applied.
  bool apply_stock_level(pqxx::work& tx, const std::string& id, std::int64_t available, const std::string& changed_at);

  CategoryPage list_categories(const Paging& paging);
  /// Creates a category; throws core::conflict when the name or slug is taken.
  Category create_category(const NewCategory& category);

 private:
  std::optional<std::string> resolve_category(pqxx::work& tx, const std::optional<std::string>& given);
  Product write_fields(pqxx::work& tx, const std::string& id, const ProductFields& fields,
                       const events::EventContext& ctx);

  core::PgPool& db_;
  events::Outbox outbox_;
};

}  // namespace shopmesh::products
