#include "shopmesh/stock/store.hpp"

#include "shopmesh/contracts/stock_rejected_v1.hpp"
#include "shopmesh/contracts/stock_released_v1.hpp"
#include "shopmesh/contracts/stock_reserved_v1.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/stock/queries.hpp"

namespace shopmesh::stock {
namespace {

using contracts::StockChangedV1Reason;

}  // namespace

std::string StockStore::stock_changed(pqxx::work& tx, const std::string& product_id, std::int64_t available,
                               std::int64_t delta, StockChangedV1Reason reason,
                               const std::optional<std::string>& order_id, const events::EventContext& ctx) {
  contracts::StockChangedV1 e;
  e.product_id = {product_id};
  e.available = available;
  e.delta = delta;
  e.reason = reason;
  if (order_id) e.order_id = contracts::Uuid{*order_id};
  e.changed_at = events::now_rfc3339();
  outbox_.add(tx, events::topic::stock, product_id, e, ctx);
  return e.changed_at;
}

bool StockStore::open_level(pqxx::work& tx, const std::string& product_id, std::int64_t initial,
                            const events::EventContext& ctx) {
  auto r = core::exec(tx, queries::open_level(), product_id, initial);
  if (r.affected_rows() == 0) return false;
  stock_changed(tx, product_id, initial, initial, StockChangedV1Reason::kInitial, std::nullopt, ctx);
  return true;
}

bool StockStore::retire_level(pqxx::work& tx, const std::string& product_id) {
  auto r = core::exec(tx, queries::retire_level(), product_id);
  return r.affected_rows() > 0;
}

std::vector<ReserveOutcome> StockStore::reserve(pqxx::work& tx, const std::vector<OrderLines>& orders,
                                                bool may_wait) {
  std::vector<std::vector<Line>> lines;  // per order: distinct products, in id order
  core::ArrayLiteral ids, counts, products, quantities;
  for (const auto& order : orders) {
    lines.push_back(merge_lines(order.lines));
    ids.add(order.order_id);
    counts.add(static_cast<long long>(lines.back().size()));
    for (const auto& line : lines.back()) {
      products.add(line.product_id);
      quantities.add(line.quantity);
    }
  }
  const auto rows =
      core::exec(tx, queries::reserve_orders(), ids.str(), counts.str(), products.str(), quantities.str(), may_wait);
  std::vector<std::vector<pqxx::row>> rows_of(orders.size());
  for (const auto& row : rows) rows_of.at(static_cast<std::size_t>(row[0].as<int>() - 1)).push_back(row);

  std::vector<ReserveOutcome> outcomes;
  for (std::size_t i = 0; i < orders.size(); ++i) outcomes.push_back(settle(tx, orders[i], lines[i], rows_of[i]));
  return outcomes;
}

// The events of one order's reservation, from reserve_orders' rows for it.
ReserveOutcome StockStore::settle(pqxx::work& tx, const OrderLines& order, const std::vector<Line>& lines,
                                  const std::vector<pqxx::row>& rows) {
  const std::string& order_id = order.order_id;
  const std::string status = rows.empty() ? "REFUSED" : rows[0][1].as<std::string>();
  if (status == "DECIDED") return ReserveOutcome::already_decided;
  if (status == "WAITING") {
    park(tx, order, lines);
    return ReserveOutcome::waiting;
  }

  std::map<std::string, LevelView> levels;  // REFUSED: as found; RESERVED: after the reservation
  for (const auto& row : rows) levels[row[2].as<std::string>()] = {row[3].as<std::int64_t>(), row[4].as<bool>()};
  if (status != "RESERVED") {
    const ReservationPlan plan = plan_reservation(lines, levels);
    if (plan.accepted) throw std::runtime_error("reserve_orders refused an order that fits: " + order_id);
    contracts::StockRejectedV1 e;
    e.order_id = {order_id};
    e.reason = plan.reason == RejectReason::unknown_product ? contracts::StockRejectedV1Reason::kUnknownProduct
                                                            : contracts::StockRejectedV1Reason::kOutOfStock;
    for (const auto& s : plan.short_lines) e.short_items.push_back({{s.product_id}, s.requested, s.available});
    e.rejected_at = events::now_rfc3339();
    core::exec(tx, queries::record_reject_reason(), order_id, std::string(to_string(plan.reason)));
    outbox_.add(tx, events::topic::stock, order_id, e, order.ctx);
    return ReserveOutcome::rejected;
  }

  contracts::StockReservedV1 reserved;
  reserved.order_id = {order_id};
  reserved.reserved_at = events::now_rfc3339();
  for (const auto& line : lines) reserved.items.push_back({{line.product_id}, line.quantity});
  outbox_.add(tx, events::topic::stock, order_id, reserved, order.ctx);
  for (const auto& line : lines)
    stock_changed(tx, line.product_id, levels.at(line.product_id).available, -line.quantity,
                  StockChangedV1Reason::kReservation, order_id, order.ctx);
  return ReserveOutcome::reserved;
}

void StockStore::park(pqxx::work& tx, const OrderLines& order, const std::vector<Line>& lines) {
  core::exec(tx, queries::park_order(), order.order_id,
             core::array_literal(lines, [](const Line& l) { return std::string_view(l.product_id); }),
             core::array_literal(lines, [](const Line& l) { return static_cast<long long>(l.quantity); }),
             order.ctx.correlation_id, order.ctx.causation_id, order.ctx.traceparent);
  parked_hint_ = true;
}

ResumeResult StockStore::resume_parked(pqxx::work& tx, const std::optional<std::string>& product_id) {
  std::vector<OrderLines> fresh, expired;
  const auto wait_ms = static_cast<long long>(product_wait_.count());
  for (const auto& row : core::exec(tx, queries::parked_orders(), product_id, wait_ms)) {
    auto& into = row[6].as<bool>() ? expired : fresh;
    const auto order_id = row[0].as<std::string>();
    if (into.empty() || into.back().order_id != order_id)
      into.push_back({order_id, {}, {row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>()}});
    into.back().lines.push_back({row[1].as<std::string>(), row[2].as<std::int64_t>()});
  }
  ResumeResult result;
  core::ArrayLiteral done;
  auto settle_all = [&](const std::vector<OrderLines>& orders, bool may_wait) {
    if (orders.empty()) return;
    const auto outcomes = reserve(tx, orders, may_wait);
    for (std::size_t i = 0; i < orders.size(); ++i) {
      if (outcomes[i] == ReserveOutcome::waiting) {
        ++result.waiting;
        continue;
      }
      ++result.decided;
      if (!may_wait && outcomes[i] == ReserveOutcome::rejected) ++result.expired;
      done.add(orders[i].order_id);
    }
  };
  settle_all(fresh, true);
  settle_all(expired, false);
  if (result.decided > 0)
    core::exec(tx, queries::unpark_orders(), done.str());
  return result;
}

std::vector<Line> StockStore::release(pqxx::work& tx, const std::string& order_id, Ending ending,
                                      const events::EventContext& ctx) {
  // Whatever happens below, this order is never reserved later.
  core::exec(tx, queries::end_order(), order_id, std::string(ending == Ending::cancelled ? "CANCELLED" : "REJECTED"));
  std::vector<Line> released;
  for (const auto& row : core::exec(tx, queries::lock_reservations(), order_id))
    released.push_back({row[0].as<std::string>(), row[1].as<std::int64_t>()});
  if (released.empty()) return released;

  contracts::StockReleasedV1 e;
  e.order_id = {order_id};
  e.released_at = events::now_rfc3339();
  std::vector<std::int64_t> available;
  for (const auto& line : released) {  // product id order, like reservations
    auto r = core::exec(tx, queries::release_level(), line.product_id, line.quantity);
    if (r.size() != 1) throw std::runtime_error("reserved level is missing: " + line.product_id);
    available.push_back(r[0][0].as<std::int64_t>());
    e.items.push_back({{line.product_id}, line.quantity});
  }
  core::exec(tx, queries::release_reservations(), order_id);
  outbox_.add(tx, events::topic::stock, order_id, e, ctx);
  for (std::size_t i = 0; i < released.size(); ++i)
    stock_changed(tx, released[i].product_id, available[i], released[i].quantity, StockChangedV1Reason::kRelease,
                  order_id, ctx);
  return released;
}

std::optional<Level> StockStore::find(const std::string& product_id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Level> {
    auto r = core::exec(tx, queries::find_level(), product_id);
    if (r.empty()) return std::nullopt;
    return Level{product_id, r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
  });
}

AdjustResult StockStore::adjust(const std::string& product_id, const Adjustment& adjustment,
                                const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    auto r = core::exec(tx, queries::lock_level(), product_id);
    if (r.empty()) return AdjustResult{AdjustResult::Status::not_found, {}};
    const Level before{product_id, r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
    const auto next = adjusted(before.available, adjustment);
    if (!next) return AdjustResult{AdjustResult::Status::out_of_range, before};
    if (*next == before.available) return AdjustResult{AdjustResult::Status::ok, before};
    core::exec(tx, queries::set_level(), product_id, *next);
    const std::string changed_at = stock_changed(tx, product_id, *next, *next - before.available,
                                                 StockChangedV1Reason::kAdjustment, std::nullopt, ctx);
    return AdjustResult{AdjustResult::Status::ok, {product_id, *next, before.reserved, changed_at}};
  });
}

}  // namespace shopmesh::stock
