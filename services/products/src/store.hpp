#pragma once
// PostgreSQL access for the catalog: parameterised SQL only.
#include <optional>
#include <string>

#include "catalog.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::products {

class ProductStore {
 public:
  explicit ProductStore(core::PgPool& db) : db_(db) {}
  Page list(const ListQuery& query);
  std::optional<Product> find(const std::string& id);

 private:
  core::PgPool& db_;
};

}  // namespace shopmesh::products
