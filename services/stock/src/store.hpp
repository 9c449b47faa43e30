#pragma once
// PostgreSQL access of the stock service. Every change of a level writes its events to the
// outbox in the same transaction: STOCK_RESERVED / STOCK_REJECTED / STOCK_RELEASED (key orderId)
// and STOCK_CHANGED (key productId) on stock.events.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "levels.hpp"
#include "shopmesh/contracts/stock_changed_v1.hpp"
#include "shopmesh/events/outbox.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::stock {

enum class ReserveOutcome { reserved, rejected, already_decided };

struct AdjustResult {
  enum class Status { ok, not_found, out_of_range };
  Status status = Status::ok;
  Level level;  // after the change (ok) or as it is (out_of_range)
};

class StockStore {
 public:
  StockStore(core::PgPool& db, events::Outbox outbox) : db_(db), outbox_(std::move(outbox)) {}

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
  /// trip for all of them. An order already decided is left as it is.
  std::vector<ReserveOutcome> reserve(pqxx::work& tx, const std::vector<OrderLines>& orders);
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
  void stock_changed(pqxx::work& tx, const std::string& product_id, std::int64_t available, std::int64_t delta,
                     contracts::StockChangedV1Reason reason, const std::optional<std::string>& order_id,
                     const events::EventContext& ctx);

  core::PgPool& db_;
  events::Outbox outbox_;
};

}  // namespace shopmesh::stock
