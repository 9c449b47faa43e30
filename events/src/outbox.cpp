#include "shopmesh/events/outbox.hpp"

#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"

namespace shopmesh::events {

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
  tx.exec_params(
      "INSERT INTO outbox (id, topic, key, type, version, value, traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      e.id, std::string(topic), e.key, e.type, e.version, encode(e),
      e.traceparent.empty() ? std::optional<std::string>{} : std::optional<std::string>{e.traceparent});
  return e.id;
}

}  // namespace shopmesh::events
