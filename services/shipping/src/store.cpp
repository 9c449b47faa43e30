#include "shopmesh/shipping/store.hpp"

#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/shipment_created_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/shipping/queries.hpp"

namespace shopmesh::shipping {
namespace {

Status status_of(const pqxx::field& f) {
  auto s = parse_status(f.as<std::string>());
  if (!s) throw std::runtime_error("unknown shipment status in the database: " + f.as<std::string>());
  return *s;
}

Shipment read_shipment(const pqxx::row& r) {
  Shipment s;
  s.id = r[0].as<std::string>();
  s.order_id = r[1].as<std::string>();
  if (!r[2].is_null()) s.user_id = r[2].as<std::string>();
  s.status = status_of(r[3]);
  if (!r[4].is_null()) s.tracking_number = r[4].as<std::string>();
  s.address_json = r[5].as<std::string>();
  s.created_at = r[6].as<std::string>();
  s.updated_at = r[7].as<std::string>();
  return s;
}

std::optional<std::string> address_json(const contracts::OrderCreatedV1& order) {
  if (!order.shipping_address) return std::nullopt;
  const auto& a = *order.shipping_address;
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "line1", a.line1);
  w.Key("line2");
  if (a.line2)
    w.String(a.line2->c_str(), static_cast<rapidjson::SizeType>(a.line2->size()));
  else
    w.Null();
  core::json::kv(w, "city", a.city);
  core::json::kv(w, "postalCode", a.postal_code);
  core::json::kv(w, "country", a.country);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

contracts::ShipmentStatusChangedV1ShipmentStatus contract_status(Status s) {
  using C = contracts::ShipmentStatusChangedV1ShipmentStatus;
  switch (s) {
    case Status::pending:
      return C::kPending;
    case Status::ready:
      return C::kReady;
    case Status::shipped:
      return C::kShipped;
    case Status::delivered:
      return C::kDelivered;
    case Status::cancelled:
      return C::kCancelled;
  }
  return C::kPending;
}

}  // namespace

// The order's shipment, locked for this transaction.
struct ShipmentStore::Locked {
  std::string id;
  std::string order_id;
  std::optional<std::string> user_id;
  Status status;
  std::optional<std::string> tracking_number;
  bool announced;
};

ShipmentStore::ShipmentStore(core::PgPool& db, events::Outbox outbox)
    : db_(db), outbox_(std::move(outbox)), rng_(std::random_device{}()) {}

std::string ShipmentStore::new_tracking_number() {
  std::lock_guard lock(rng_mutex_);
  return tracking_number(rng_);
}

std::optional<ShipmentStore::Locked> ShipmentStore::lock(pqxx::work& tx, const std::string& order_id) {
  auto r = core::exec(tx, queries::lock_shipment(), order_id);
  if (r.empty()) return std::nullopt;
  Locked l{r[0][0].as<std::string>(), order_id, std::nullopt, status_of(r[0][2]), std::nullopt, r[0][4].as<bool>()};
  if (!r[0][1].is_null()) l.user_id = r[0][1].as<std::string>();
  if (!r[0][3].is_null()) l.tracking_number = r[0][3].as<std::string>();
  return l;
}

void ShipmentStore::publish_steps(pqxx::work& tx, const Locked& row, const std::vector<Step>& steps,
                                  const events::EventContext& ctx) {
  for (const auto& step : steps) {
    contracts::ShipmentStatusChangedV1 e;
    e.shipment_id = {row.id};
    e.order_id = {row.order_id};
    e.user_id = {*row.user_id};
    e.from = contract_status(step.from);
    e.to = contract_status(step.to);
    e.tracking_number = row.tracking_number;  // null until the shipment was READY
    e.changed_at = events::now_rfc3339();
    outbox_.add(tx, events::topic::shipping, row.order_id, e, ctx);
  }
}

void ShipmentStore::open(pqxx::work& tx, const contracts::OrderCreatedV1& order, const events::EventContext& ctx) {
  const std::string& order_id = order.order_id.value;
  const auto address = address_json(order);
  auto inserted = core::exec(tx, queries::open_shipment(), core::uuid_v7(), order_id, order.user_id.value, address);
  std::vector<Step> history;
  if (inserted.affected_rows() == 0) {
    auto row = lock(tx, order_id);
    if (!row) throw std::runtime_error("shipment vanished: " + order_id);
    if (row->announced) return;  // this order was opened before (a replayed ORDER_CREATED)
    core::exec(tx, queries::announce_shipment(), row->id, order.user_id.value, address);
    history = history_of(row->status, row->tracking_number.has_value());
  }
  auto row = lock(tx, order_id);
  contracts::ShipmentCreatedV1 created;
  created.shipment_id = {row->id};
  created.order_id = {order_id};
  created.user_id = order.user_id;
  created.status = contracts::ShipmentCreatedV1Status::kPending;  // where every shipment starts
  if (order.shipping_address) {
    const auto& a = *order.shipping_address;
    created.address = contracts::ShipmentCreatedV1Address{a.line1, a.line2, a.city, a.postal_code, a.country};
  }
  created.created_at = events::now_rfc3339();
  outbox_.add(tx, events::topic::shipping, order_id, created, ctx);
  publish_steps(tx, *row, history, ctx);
}

bool ShipmentStore::advance(pqxx::work& tx, const std::string& order_id, Status target,
                            const std::optional<std::string>& user_id, const events::EventContext& ctx) {
  auto row = lock(tx, order_id);
  if (!row) {
    // An event of this order overtook its ORDER_CREATED: open the shipment unannounced.
    core::exec(tx, queries::open_unannounced_shipment(), core::uuid_v7(), order_id, user_id);
    row = lock(tx, order_id);
    if (!row) throw std::runtime_error("shipment vanished: " + order_id);
  }
  const auto steps = steps_towards(row->status, target);
  if (steps.empty()) {
    if (!row->user_id && user_id)
      core::exec(tx, queries::set_shipment_user(), row->id, *user_id);
    return false;
  }
  if (!row->tracking_number && needs_tracking_number(target)) row->tracking_number = new_tracking_number();
  if (!row->user_id) row->user_id = user_id;
  auto updated = core::exec(tx, queries::move_shipment(), row->id, std::string(to_string(row->status)),
                            std::string(to_string(target)), row->tracking_number, row->user_id);
  if (updated.affected_rows() != 1) throw std::runtime_error("shipment changed under its lock: " + row->id);
  // Until ORDER_CREATED announces the shipment its owner is unknown to readers; the steps are
  // published then, from the stored status (history_of).
  if (row->announced) publish_steps(tx, *row, steps, ctx);
  return true;
}

std::optional<Shipment> ShipmentStore::find(const std::string& id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Shipment> {
    auto r = core::exec(tx, queries::find_shipment(), id);
    if (r.empty()) return std::nullopt;
    return read_shipment(r[0]);
  });
}

std::optional<Shipment> ShipmentStore::find_by_order(const std::string& order_id) {
  return db_.transact([&](pqxx::work& tx) -> std::optional<Shipment> {
    auto r = core::exec(tx, queries::find_order_shipment(), order_id);
    if (r.empty()) return std::nullopt;
    return read_shipment(r[0]);
  });
}

Page ShipmentStore::list(const ListQuery& q, const std::optional<std::string>& owner) {
  const std::optional<std::string> user = owner ? owner : q.user_id;
  const std::optional<std::string> status =
      q.status ? std::optional<std::string>(std::string(to_string(*q.status))) : std::nullopt;
  return db_.transact([&](pqxx::work& tx) {
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    page.total = core::exec1(tx, queries::count_shipments(), user, status)[0].as<std::int64_t>();
    auto rows = core::exec(tx, queries::list_shipments(), user, status, q.limit,
                           static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) page.items.push_back(read_shipment(r));
    return page;
  });
}

}  // namespace shopmesh::shipping
