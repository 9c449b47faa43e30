#pragma once
// The orders domain: the status machine, order requests and their validation, pricing against
// the catalog, Idempotency-Key fingerprints, list queries and JSON. No HTTP, SQL or Kafka types.
//
// Status machine (SPEC §3): PENDING → CONFIRMED (stock reserved) | REJECTED (stock refused);
// CONFIRMED → SHIPPED → DELIVERED (administrators); PENDING | CONFIRMED → CANCELLED.
//
// Mass assignment: only `items[].productId`, `items[].quantity` and `shippingAddress` of a create
// body are read; `userId`, `status`, `totalAmount`, prices and names sent by the client are
// ignored (the user comes from the gateway, prices and names from the catalog).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/core/money.hpp"
#include "shopmesh/products/catalog_client.hpp"

namespace shopmesh::orders {

enum class OrderStatus { pending, confirmed, rejected, cancelled, shipped, delivered };

/// "PENDING", "CONFIRMED", ...
std::string_view to_string(OrderStatus s);
/// The status named by its upper-case text; nullopt for anything else.
std::optional<OrderStatus> parse_status(std::string_view text);

/// Who moves an order from one status to another.
enum class Actor {
  stock,     // the saga: stock's decision on a PENDING order
  customer,  // the order's owner
  admin,
};

/// The status machine, the one place its transitions are written (the store's conditional
/// updates match the statuses it names):
///   stock:            PENDING → CONFIRMED | REJECTED
///   customer, admin:  PENDING | CONFIRMED → CANCELLED
///   admin:            CONFIRMED → SHIPPED → DELIVERED, one step at a time
bool may_move(Actor actor, OrderStatus from, OrderStatus to);
/// The statuses `actor` may move an order to `to` from, in enum order.
std::vector<OrderStatus> movable_to(Actor actor, OrderStatus to);

struct Address {
  std::string line1;
  std::optional<std::string> line2;
  std::string city;
  std::string postal_code;
  std::string country;
  bool operator==(const Address&) const = default;
};

struct LineRequest {
  std::string product_id;  // lower-case UUID
  std::int64_t quantity = 0;
};

/// A validated POST /api/orders body.
struct OrderRequest {
  std::vector<LineRequest> items;
  std::optional<Address> shipping_address;
};

inline constexpr std::size_t kMaxLines = 100;
inline constexpr std::int64_t kMaxQuantity = 1000;

/// Parses and validates a create body; throws core::invalid naming every bad field
/// (`items[2].quantity`, `shippingAddress.city`).
OrderRequest parse_order_request(std::string_view body);

/// The request in a canonical text form: fixed member order, normalised values, ignored fields
/// left out. Two bodies that mean the same order have the same canonical form.
std::string canonical_request(const OrderRequest& request);
/// Lower-case hex SHA-256 of the canonical form: what an Idempotency-Key is bound to.
std::string request_fingerprint(const OrderRequest& request);
/// Why an Idempotency-Key header value is unacceptable (1–255 visible ASCII characters), or nullopt.
std::optional<std::string> idempotency_key_problem(std::string_view key);

struct OrderLine {
  std::string product_id;
  std::string product_name;
  core::Cents unit_price;
  std::int64_t quantity = 0;
  core::Cents subtotal;
};

struct PricedOrder {
  std::vector<OrderLine> lines;
  core::Cents total;
};

/// Prices each line from the catalog: unit price × quantity, summed in cents. Throws
/// core::refused naming `items[i].productId` for unknown, deleted or inactive products.
PricedOrder price_order(const OrderRequest& request,
                        const std::map<std::string, products::client::CatalogProduct>& catalog);

struct Order {
  std::string id;
  std::string user_id;
  std::vector<OrderLine> lines;
  core::Cents total;
  OrderStatus status = OrderStatus::pending;
  std::optional<std::string> status_reason;
  std::optional<Address> shipping_address;
  std::string created_at;
  std::string updated_at;
};

/// Looks up a decoded query parameter by name.
using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;

/// A validated GET /api/orders query.
struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<OrderStatus> status;
  std::optional<std::string> user_id;  // admins only
};
/// `?page&limit&status&userId`; throws 400 naming each bad parameter.
ListQuery parse_list_query(const ParamLookup& param);

struct Page {
  std::vector<Order> items;
  int page = 1;
  int limit = 20;
  std::int64_t total = 0;
};

/// PATCH /api/orders/{id}/status `{status}`: SHIPPED or DELIVERED, else 400.
/// PATCH /api/orders/{id}/status {"status": ...}: SHIPPED, DELIVERED or CANCELLED, in upper or (as
/// seed 001's clients send them) lower case.
OrderStatus parse_status_change(std::string_view body);

std::string order_json(const Order& order);
std::string page_json(const Page& page);

}  // namespace shopmesh::orders
