#pragma once
// PostgreSQL access of the stock service. Every change of a level writes its events to the
// outbox in the same transaction: STOCK_RESERVED / STOCK_REJECTED / STOCK_RELEASED (key orderId)
// and STOCK_CHANGED (key productId) on stock.events.
#include <atomic>
#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "shopmesh/contracts/stock_changed_v1.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/stock/levels.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::stock {

enum class ReserveOutcome { reserved, rejected, already_decided, waiting };

/// What a retry of parked orders did.
struct ResumeResult {
  std::size_t decided = 0;   // reserved, rejected or found decided (e.g. cancelled meanwhile)
  std::size_t expired = 0;   // of those: rejected UNKNOWN_PRODUCT after waiting too long
  std::size_t waiting = 0;   // still parked
};

struct AdjustResult {
  enum class Status { ok, not_found, out_of_range };
  Status status = Status::ok;
  Level level;  // after the change (ok) or as it is (out_of_range)
};

class StockStore {
 public:
  /// `product_wait`: how long an order naming a product with no level yet waits for its
  /// PRODUCT_CREATED before it is rejected UNKNOWN_PRODUCT (zero: at once).
  StockStore(core::PgPool& db, events::Outbox outbox, std::chrono::milliseconds product_wait)
      : db_(db), outbox_(std::move(outbox)), product_wait_(product_wait) {}

  // Effects of consumed events: they run inside the consumer's transaction `tx`.

  /// Opens the level of a new product with its initial stock (STOCK_CHANGED INITIAL); false when
  /// the level already exists.
  bool open_level(pqxx::work& tx, const std::string& product_id, std::int64_t initial, const events::EventContext& ctx);
  /// A deleted product takes no new reservations; existing ones can still be released.
  bool retire_level(pqxx::work& tx, const std::string& product_id);
  /// An order to reserve, and the context of the events its reservation emits.
  struct OrderLines {
    std::string order_id;
    std::vector<Line> lines;
    events::EventContext ctx;
  };
  /// Reserves every line of each order or none, never below zero, in the given order; one round
  /// trip for all of them. An order already decided is left as it is. An order naming a product
  /// whose PRODUCT_CREATED has not arrived yet is parked (`waiting`) when `may_wait`, else
  /// rejected UNKNOWN_PRODUCT like an order for a deleted product.
  std::vector<ReserveOutcome> reserve(pqxx::work& tx, const std::vector<OrderLines>& orders, bool may_wait);
  std::vector<ReserveOutcome> reserve(pqxx::work& tx, const std::vector<OrderLines>& orders) {
    return reserve(tx, orders, product_wait_.count() > 0);
  }
  /// Retries the parked orders naming `product_id` (a level just opened), or all of them; those
  /// parked for longer than the product wait are decided now. Locked rows are skipped (another
  /// transaction is retrying them).
  ResumeResult resume_parked(pqxx::work& tx, const std::optional<std::string>& product_id);
  /// True when orders may be parked (set when one is parked here, and at start); clears it.
  bool take_parked_hint() { return parked_hint_.exchange(false); }
  void set_parked_hint() { parked_hint_ = true; }
  /// How an order ended when its reservation is released.
  enum class Ending { cancelled, rejected };
  /// Releases what is still reserved for an order and records how it ended (a rejection decided
  /// here is kept); the order is never reserved afterwards. Returns what was released.
  std::vector<Line> release(pqxx::work& tx, const std::string& order_id, Ending ending,
                            const events::EventContext& ctx);

  // HTTP.

  std::optional<Level> find(const std::string& product_id);
  AdjustResult adjust(const std::string& product_id, const Adjustment& adjustment, const events::EventContext& ctx);

 private:
  ReserveOutcome settle(pqxx::work& tx, const OrderLines& order, const std::vector<Line>& lines,
                        const std::vector<pqxx::row>& rows);
  /// Emits STOCK_CHANGED; returns its changedAt.
  std::string stock_changed(pqxx::work& tx, const std::string& product_id, std::int64_t available, std::int64_t delta,
                            contracts::StockChangedV1Reason reason, const std::optional<std::string>& order_id,
                            const events::EventContext& ctx);

  void park(pqxx::work& tx, const OrderLines& order, const std::vector<Line>& lines);

  core::PgPool& db_;
  events::Outbox outbox_;
  std::chrono::milliseconds product_wait_;
  std::atomic<bool> parked_hint_{true};
};

}  // namespace shopmesh::stock
