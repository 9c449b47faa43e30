#pragma once
// The cart domain: request bodies and their validation, the cart as shown (current catalog
// prices, exact cents), the checkout body and its Idempotency-Key fingerprint. No HTTP or SQL.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/core/money.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::cart {

inline constexpr std::int64_t kMaxQuantity = 100;  // per line
inline constexpr std::size_t kMaxLines = 100;      // per cart

struct CartLine {
  std::string product_id;  // lower-case UUID
  std::int64_t quantity = 0;
};

/// POST /api/cart/items `{productId, quantity}`; throws core::invalid naming bad fields.
CartLine parse_add_item(std::string_view body);
/// PATCH /api/cart/items/{productId} `{quantity}` with 0 ≤ quantity ≤ 100 (0 removes the line).
std::int64_t parse_quantity_update(std::string_view body);

/// One line as shown: the product's current name and price; `available` is false when the
/// product is inactive or gone (its line shows no price and counts nothing toward the total).
struct ShownLine {
  std::string product_id;
  std::optional<std::string> name;
  std::optional<core::Cents> price;
  std::int64_t quantity = 0;
  core::Cents subtotal;
  bool available = false;
};

struct CartView {
  std::vector<ShownLine> items;
  core::Cents total;
};

/// Prices the lines with the catalog's current data: subtotal = price × quantity, total = Σ.
CartView view_cart(const std::vector<CartLine>& lines,
                   const std::map<std::string, products::client::CatalogProduct>& catalog);
std::string cart_json(const CartView& view);

/// A validated POST /api/cart/checkout body: `{shippingAddress?}` (the address itself is
/// validated by the orders service, field by field).
struct CheckoutRequest {
  std::string shipping_address_json = "null";  // the address as JSON text, or null
  std::string canonical;                       // sorted-keys form of the body, for the fingerprint
};
CheckoutRequest parse_checkout(std::string_view body);
/// Lower-case hex SHA-256 of the canonical checkout body.
std::string fingerprint(const CheckoutRequest& request);
/// Why an Idempotency-Key header value is unacceptable (1–255 visible ASCII characters), or nullopt.
std::optional<std::string> idempotency_key_problem(std::string_view key);

/// The POST /api/orders body for these lines: `{"items":[{productId, quantity}], "shippingAddress"}`.
std::string order_body(const std::vector<CartLine>& lines, const CheckoutRequest& request);

}  // namespace shopmesh::cart
