#pragma once
// Checkout: turns the cart into an order through the orders service and empties the cart only
// when the order exists. An Idempotency-Key makes it repeatable: the same key and body return the
// same order (200, even after the cart was emptied); the same key with another body is 422.
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/cart/orders_client.hpp"

namespace shopmesh::cart {

class CartStore;

struct CheckoutResult {
  OrdersAnswer answer;  // the order (201 new, 200 replayed) or the orders service's problem
  bool replayed = false;
};

class Checkout {
 public:
  Checkout(CartStore& store, OrdersApi& orders) : store_(store), orders_(orders) {}

  /// Throws core::DomainError (400 bad body or key, 422 empty cart or key reuse) and
  /// core::Unavailable (orders service down).
  CheckoutResult run(const Identity& who, std::string_view body, const std::optional<std::string>& idempotency_key);

 private:
  CartStore& store_;
  OrdersApi& orders_;
};

}  // namespace shopmesh::cart
