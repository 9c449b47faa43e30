#include "shopmesh/events/outbox.hpp"

#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"

namespace shopmesh::events {
namespace {

thread_local OutboxBatch* current_batch = nullptr;

}  // namespace

OutboxBatch::OutboxBatch(pqxx::transaction_base& tx) : tx_(tx), outer_(current_batch) {
  current_batch = this;
}

OutboxBatch::~OutboxBatch() {
  current_batch = outer_;
}

OutboxBatch* OutboxBatch::active(const pqxx::transaction_base& tx) {
  for (auto* b = current_batch; b != nullptr; b = b->outer_)
    if (&b->tx_ == &tx) return b;
  return nullptr;
}

void OutboxBatch::flush() {
  if (rows_.empty()) return;
  core::ArrayLiteral ids, topics, keys, types, versions, values, traces;
  for (const auto& r : rows_) {
    ids.add(r.id);
    topics.add(r.topic);
    keys.add(r.key);
    types.add(r.type);
    versions.add(static_cast<long long>(r.version));
    values.add(r.value);
    if (r.traceparent.empty())
      traces.add_null();
    else
      traces.add(r.traceparent);
  }
  core::exec(tx_,
             SHOPMESH_SQL("INSERT INTO outbox (id, topic, key, type, version, value, traceparent)"
                          " SELECT r.id, r.topic, r.key, r.type, r.version, r.value, r.traceparent"
                          " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[],"
                          "             $7::text[]) WITH ORDINALITY"
                          "   AS r (id, topic, key, type, version, value, traceparent, n)"
                          " ORDER BY r.n"),
             ids.str(), topics.str(), keys.str(), types.str(), versions.str(), values.str(), traces.str());
  rows_.clear();
}

std::string Outbox::add(pqxx::transaction_base& tx, std::string_view topic, std::string_view type, int version,
                        std::string_view key, std::string data_json, const EventContext& context) const {
  Envelope e;
  e.id = core::uuid_v7();
  e.type = std::string(type);
  e.version = version;
  e.occurred_at = now_rfc3339();
  e.producer = producer_;
  e.key = std::string(key);
  e.correlation_id = context.correlation_id.empty() ? e.id : context.correlation_id;
  e.causation_id = context.causation_id;
  e.traceparent = context.traceparent;
  e.data = std::move(data_json);
  if (auto* batch = OutboxBatch::active(tx)) {
    batch->rows_.push_back({e.id, std::string(topic), e.key, e.type, encode(e), e.traceparent, e.version});
    return e.id;
  }
  core::exec(tx,
             SHOPMESH_SQL("INSERT INTO outbox (id, topic, key, type, version, value, traceparent)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7)"),
             e.id, std::string(topic), e.key, e.type, e.version, encode(e),
             e.traceparent.empty() ? std::optional<std::string>{} : std::optional<std::string>{e.traceparent});
  return e.id;
}

}  // namespace shopmesh::events
