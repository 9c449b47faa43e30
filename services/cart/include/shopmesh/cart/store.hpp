#pragma once
// PostgreSQL access for carts: parameterised SQL only.
#include <optional>
#include <string>
#include <vector>

#include "shopmesh/cart/cart.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::cart {

/// A completed checkout of a client's Idempotency-Key.
struct CheckoutRecord {
  std::string fingerprint;
  std::string order_id;
};

class CartStore {
 public:
  explicit CartStore(core::PgPool& db) : db_(db) {}

  /// The user's lines, oldest first (the order checkout sends them in).
  std::vector<CartLine> lines(const std::string& user_id);

  enum class AddOutcome { added, merged, line_full, cart_full };
  /// Adds a line or merges into the existing one (sum ≤ kMaxQuantity, ≤ kMaxLines lines).
  AddOutcome add(const std::string& user_id, const CartLine& line);
  /// Sets a line's quantity (0 removes it); false when the cart has no such line.
  bool set_quantity(const std::string& user_id, const std::string& product_id, std::int64_t quantity);
  /// Removes a line; false when the cart has no such line.
  bool remove(const std::string& user_id, const std::string& product_id);
  void clear(const std::string& user_id);

  std::optional<CheckoutRecord> find_checkout(const std::string& user_id, const std::string& key);
  /// After the order was created: records the key (if any) and removes the lines that were
  /// ordered, exactly as they were sent (a line changed meanwhile stays in the cart).
  void complete_checkout(const std::string& user_id, const std::optional<std::string>& key,
                         const std::string& fingerprint, const std::string& order_id,
                         const std::vector<CartLine>& ordered);

 private:
  core::PgPool& db_;
};

}  // namespace shopmesh::cart
