#include "shopmesh/orders/store.hpp"

#include <map>

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_confirmed_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/order_status_changed_v1.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/orders/queries.hpp"

namespace shopmesh::orders {
namespace {

std::optional<std::string> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

Order read_order(const pqxx::row& r) {
  Order o;
  o.id = r[0].as<std::string>();
  o.user_id = r[1].as<std::string>();
  o.status = parse_status(r[2].as<std::string>()).value_or(OrderStatus::pending);
  o.status_reason = opt(r[3]);
  o.total = core::Cents{r[4].as<std::int64_t>()};
  if (!r[5].is_null()) {
    Address a;
    a.line1 = r[5].as<std::string>();
    a.line2 = opt(r[6]);
    a.city = r[7].as<std::string>();
    a.postal_code = r[8].as<std::string>();
    a.country = r[9].as<std::string>();
    o.shipping_address = std::move(a);
  }
  o.created_at = r[10].as<std::string>();
  o.updated_at = r[11].as<std::string>();
  return o;
}

OrderLine read_line(const pqxx::row& r) {
  OrderLine l;
  l.product_id = r[1].as<std::string>();
  l.product_name = r[2].as<std::string>();
  l.unit_price = core::Cents{r[3].as<std::int64_t>()};
  l.quantity = r[4].as<std::int64_t>();
  l.subtotal = core::Cents{r[5].as<std::int64_t>()};
  return l;
}

// Loads the lines of the given orders into them.
void attach_lines(pqxx::work& tx, std::vector<Order>& orders) {
  if (orders.empty()) return;
  std::map<std::string, Order*> by_id;
  for (auto& o : orders) by_id[o.id] = &o;
  auto rows = core::exec(tx, queries::order_items(), core::array_literal(orders, [](const Order& o) { return o.id; }));
  for (const auto& r : rows) by_id.at(r[0].as<std::string>())->lines.push_back(read_line(r));
}

// Thrown inside a transaction when another request committed the same Idempotency-Key first.
struct KeyTaken {};

// A text[] literal of statuses, for `status = ANY ($n::text[])`.
std::string statuses(const std::vector<OrderStatus>& list) {
  core::ArrayLiteral out;
  for (const OrderStatus s : list) out.add(to_string(s));
  return out.str();
}

contracts::OrderStatusChangedV1OrderStatus contract_status(OrderStatus s) {
  using C = contracts::OrderStatusChangedV1OrderStatus;
  switch (s) {
    case OrderStatus::pending:
      return C::kPending;
    case OrderStatus::confirmed:
      return C::kConfirmed;
    case OrderStatus::rejected:
      return C::kRejected;
    case OrderStatus::cancelled:
      return C::kCancelled;
    case OrderStatus::shipped:
      return C::kShipped;
    case OrderStatus::delivered:
      return C::kDelivered;
  }
  return C::kPending;
}

contracts::OrderCreatedV1 created_event(const Order& o) {
  contracts::OrderCreatedV1 e;
  e.order_id = {o.id};
  e.user_id = {o.user_id};
  for (const auto& l : o.lines)
    e.items.push_back({{l.product_id}, l.product_name, l.unit_price, l.quantity, l.subtotal});
  e.total_amount = o.total;
  e.currency = "USD";
  if (o.shipping_address) {
    const auto& a = *o.shipping_address;
    e.shipping_address = contracts::OrderCreatedV1ShippingAddress{a.line1, a.line2, a.city, a.postal_code, a.country};
  }
  e.created_at = o.created_at;
  return e;
}

}  // namespace

std::optional<Order> OrderStore::load(pqxx::work& tx, const std::string& id) {
  auto rows = core::exec(tx, queries::find_order(), id);
  if (rows.empty()) return std::nullopt;
  std::vector<Order> one{read_order(rows[0])};
  attach_lines(tx, one);
  return std::move(one[0]);
}

std::optional<Order> OrderStore::find_by_key(const std::string& user_id, const IdempotencyKey& key) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Order> {
    auto rows = core::exec(tx, queries::find_idempotency_key(), user_id, key.key);
    if (rows.empty()) return std::nullopt;
    if (rows[0][0].as<std::string>() != key.fingerprint)
      throw core::refused("This Idempotency-Key was already used with a different request body.",
                                {{"Idempotency-Key", "was used with a different request body"}});
    return load(tx, rows[0][1].as<std::string>());
  });
}

Placed OrderStore::place(const std::string& user_id, const OrderRequest& request, const PricedOrder& priced,
                         const std::optional<IdempotencyKey>& key, const events::EventContext& ctx) {
  try {
    return db_.transact([&](pqxx::work& tx) {
      Order o;
      o.id = core::uuid_v7();
      o.user_id = user_id;
      o.lines = priced.lines;
      o.total = priced.total;
      o.shipping_address = request.shipping_address;
      const auto* a = request.shipping_address ? &*request.shipping_address : nullptr;
      auto field = [&](std::string Address::*member) -> std::optional<std::string> {
        if (a == nullptr) return std::nullopt;
        return a->*member;
      };
      auto row = core::exec1(tx, queries::insert_order(), o.id, user_id, o.total.value, field(&Address::line1),
                             a != nullptr ? a->line2 : std::nullopt, field(&Address::city),
                             field(&Address::postal_code), field(&Address::country));
      o.created_at = o.updated_at = row[0].as<std::string>();
      core::exec(
          tx, queries::insert_order_items(), o.id,
          core::array_literal(o.lines, [](const OrderLine& l) { return l.product_id; }),
          core::array_literal(o.lines, [](const OrderLine& l) { return l.product_name; }),
          core::array_literal(o.lines, [](const OrderLine& l) { return static_cast<long long>(l.unit_price.value); }),
          core::array_literal(o.lines, [](const OrderLine& l) { return static_cast<long long>(l.quantity); }),
          core::array_literal(o.lines, [](const OrderLine& l) { return static_cast<long long>(l.subtotal.value); }));
      if (key) {
        // Waits for a concurrent transaction holding the same key; DO NOTHING once it committed.
        auto claimed = core::exec(tx, queries::claim_idempotency_key(), user_id, key->key, key->fingerprint, o.id);
        if (claimed.empty()) throw KeyTaken{};
      }
      outbox_.add(tx, events::topic::order, o.id, created_event(o), ctx);
      return Placed{std::move(o), false};
    });
  } catch (const KeyTaken&) {
    auto existing = find_by_key(user_id, *key);  // 422 when its body differed
    if (!existing) throw core::Unavailable("idempotency key vanished");
    return Placed{std::move(*existing), true};
  }
}

std::optional<Order> OrderStore::find(const std::string& id, const Caller& caller) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Order> {
    auto o = load(tx, id);
    if (!o || (!caller.admin && o->user_id != caller.user_id)) return std::nullopt;
    return o;
  });
}

Page OrderStore::list(const ListQuery& q, const Caller& caller) {
  const std::optional<std::string> user = caller.admin ? q.user_id : std::optional<std::string>(caller.user_id);
  const std::optional<std::string> status =
      q.status ? std::optional<std::string>(std::string(to_string(*q.status))) : std::nullopt;
  return db_.transact([&](pqxx::work& tx) {
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    page.total = core::exec1(tx, queries::count_orders(), user, status)[0].as<std::int64_t>();
    auto rows = core::exec(tx, queries::list_orders(), user, status, q.limit,
                           static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_order(r));
    attach_lines(tx, page.items);
    return page;
  });
}

OrderStore::Change OrderStore::cancel(const std::string& id, const Caller& caller, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    Change change;
    auto rows = core::exec(tx, queries::lock_order(), id);
    if (rows.empty()) return change;
    const std::string owner = rows[0][1].as<std::string>();
    if (!caller.admin && owner != caller.user_id) return change;
    const OrderStatus previous = parse_status(rows[0][0].as<std::string>()).value_or(OrderStatus::pending);
    change.current = previous;
    const bool by_owner = caller.user_id == owner;
    if (!may_move(by_owner ? Actor::customer : Actor::admin, previous, OrderStatus::cancelled)) {
      change.outcome = Outcome::wrong_status;
      return change;
    }
    auto updated =
        core::exec1(tx, queries::cancel_order(), id, by_owner ? "CANCELLED_BY_CUSTOMER" : "CANCELLED_BY_ADMIN");
    contracts::OrderCancelledV1 event;
    event.order_id = {id};
    event.user_id = {owner};
    event.previous_status = previous == OrderStatus::confirmed ? contracts::OrderCancelledV1PreviousStatus::kConfirmed
                                                               : contracts::OrderCancelledV1PreviousStatus::kPending;
    event.cancelled_by = {caller.user_id};
    event.cancelled_at = updated[0].as<std::string>();
    outbox_.add(tx, events::topic::order, id, event, ctx);
    change.outcome = Outcome::changed;
    change.current = OrderStatus::cancelled;
    change.order = load(tx, id);
    return change;
  });
}

OrderStore::Change OrderStore::move(const std::string& id, OrderStatus to, const events::EventContext& ctx) {
  return db_.transact([&](pqxx::work& tx) {
    Change change;
    auto rows = core::exec(tx, queries::lock_order(), id);
    if (rows.empty()) return change;
    const OrderStatus from = parse_status(rows[0][0].as<std::string>()).value_or(OrderStatus::pending);
    change.current = from;
    if (!may_move(Actor::admin, from, to)) {
      change.outcome = Outcome::wrong_status;
      return change;
    }
    auto updated = core::exec1(tx, queries::set_order_status(), id, std::string(to_string(to)));
    contracts::OrderStatusChangedV1 event;
    event.order_id = {id};
    event.user_id = {rows[0][1].as<std::string>()};
    event.from = contract_status(from);
    event.to = contract_status(to);
    event.changed_at = updated[0].as<std::string>();
    outbox_.add(tx, events::topic::order, id, event, ctx);
    change.outcome = Outcome::changed;
    change.current = to;
    change.order = load(tx, id);
    return change;
  });
}

bool OrderStore::confirm(pqxx::work& tx, const std::string& id, const events::EventContext& ctx) {
  auto rows =
      core::exec(tx, queries::confirm_order(), id, statuses(movable_to(Actor::stock, OrderStatus::confirmed)));
  if (rows.empty()) return false;
  contracts::OrderConfirmedV1 event;
  event.order_id = {id};
  event.user_id = {rows[0][0].as<std::string>()};
  event.confirmed_at = rows[0][1].as<std::string>();
  outbox_.add(tx, events::topic::order, id, event, ctx);
  return true;
}

bool OrderStore::reject(pqxx::work& tx, const std::string& id, const std::string& reason,
                        const events::EventContext& ctx) {
  auto rows =
      core::exec(tx, queries::reject_order(), id, reason, statuses(movable_to(Actor::stock, OrderStatus::rejected)));
  if (rows.empty()) return false;
  contracts::OrderRejectedV1 event;
  event.order_id = {id};
  event.user_id = {rows[0][0].as<std::string>()};
  event.reason = reason;
  event.rejected_at = rows[0][1].as<std::string>();
  outbox_.add(tx, events::topic::order, id, event, ctx);
  return true;
}

}  // namespace shopmesh::orders
