#pragma once
// Placing an order: validate, honour the Idempotency-Key, price against the catalog, store.
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/orders/store.hpp"

namespace shopmesh::products::client {
class Catalog;
struct Trace;
}  // namespace shopmesh::products::client

namespace shopmesh::orders {

class Ordering {
 public:
  Ordering(OrderStore& store, products::client::Catalog& catalog) : store_(store), catalog_(catalog) {}

  /// Places the order described by `body` for `user_id`. With `idempotency_key`, a repeat of an
  /// earlier request (same key, same canonical body) returns that order as replayed without
  /// touching the catalog; the same key with another body is 422. Throws core::DomainError (400
  /// bad body or key, 422 products that cannot be ordered) and core::Unavailable (catalog down).
  Placed place(const std::string& user_id, std::string_view body, const std::optional<std::string>& idempotency_key,
               const products::client::Trace& trace, const events::EventContext& ctx);

 private:
  OrderStore& store_;
  products::client::Catalog& catalog_;
};

}  // namespace shopmesh::orders
