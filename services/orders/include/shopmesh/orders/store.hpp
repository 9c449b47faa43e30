#pragma once
// PostgreSQL access for orders: parameterised SQL only. Every state change writes its event
// (topic order.events, key orderId) into the outbox in the same transaction, and every status
// change is a conditional update on the current status, so concurrent or repeated attempts
// (redelivered events, double clicks) change an order at most once.
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/orders/order.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::orders {

/// An Idempotency-Key bound to a request fingerprint, per user.
struct IdempotencyKey {
  std::string key;
  std::string fingerprint;
};

struct Placed {
  Order order;
  bool replayed = false;  // an earlier request with the same key and body created it
};

/// Who asks: customers see their own orders only; administrators see all.
struct Caller {
  std::string user_id;
  bool admin = false;
};

class OrderStore {
 public:
  OrderStore(core::PgPool& db, events::Outbox outbox) : db_(db), outbox_(std::move(outbox)) {}

  /// The order an earlier request with this key created; nullopt when the key is new. Throws
  /// core::refused when the key was used with another body.
  std::optional<Order> find_by_key(const std::string& user_id, const IdempotencyKey& key);

  /// Stores a new PENDING order and its ORDER_CREATED event. With a key, a concurrent request
  /// that committed the same key first wins: its order is returned as replayed (or 422 when its
  /// body differed).
  Placed place(const std::string& user_id, const OrderRequest& request, const PricedOrder& priced,
               const std::optional<IdempotencyKey>& key, const events::EventContext& ctx);

  /// The order if `caller` may see it (owner or admin).
  std::optional<Order> find(const std::string& id, const Caller& caller);
  /// Own orders, or anyone's for an admin (optionally one user's).
  Page list(const ListQuery& query, const Caller& caller);

  enum class Outcome { changed, not_found, wrong_status };
  struct Change {
    Outcome outcome = Outcome::not_found;
    OrderStatus current = OrderStatus::pending;  // the status found (wrong_status) or set (changed)
    std::optional<Order> order;                  // after the change
  };
  /// PENDING | CONFIRMED → CANCELLED, writing ORDER_CANCELLED.
  Change cancel(const std::string& id, const Caller& caller, const events::EventContext& ctx);
  /// Administrators' CONFIRMED → SHIPPED → DELIVERED, writing ORDER_STATUS_CHANGED.
  Change move(const std::string& id, OrderStatus to, const events::EventContext& ctx);

  /// STOCK_RESERVED: PENDING → CONFIRMED with ORDER_CONFIRMED; false when the order is not
  /// PENDING (already confirmed, cancelled meanwhile, unknown): nothing changes.
  bool confirm(pqxx::work& tx, const std::string& id, const events::EventContext& ctx);
  /// STOCK_REJECTED: PENDING → REJECTED with the reason and ORDER_REJECTED; false when not PENDING.
  bool reject(pqxx::work& tx, const std::string& id, const std::string& reason, const events::EventContext& ctx);

 private:
  std::optional<Order> load(pqxx::work& tx, const std::string& id);

  core::PgPool& db_;
  events::Outbox outbox_;
};

}  // namespace shopmesh::orders
