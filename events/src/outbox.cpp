#include "shopmesh/events/outbox.hpp"

#include <charconv>
#include <stdexcept>

#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/queries.hpp"

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

std::string OutboxMessage::encode() const {
  for (const std::string* field : {&topic, &key, &id, &type, &traceparent})
    if (field->find_first_of("\r\n") != std::string::npos)
      throw std::invalid_argument("outbox: a line break in an event's topic, key, id, type or traceparent");
  std::string out;
  out.reserve(64 + topic.size() + key.size() + id.size() + type.size() + traceparent.size() + value.size());
  out.append("v1\n").append(topic).append("\n").append(key).append("\n").append(id).append("\n");
  out.append(type).append("\n").append(std::to_string(version)).append("\n").append(traceparent).append("\n");
  out.append(value);
  return out;
}

std::optional<OutboxMessage> OutboxMessage::decode(std::string_view content) {
  std::string_view fields[7];
  for (auto& f : fields) {
    const auto end = content.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    f = content.substr(0, end);
    content.remove_prefix(end + 1);
  }
  if (fields[0] != "v1") return std::nullopt;
  OutboxMessage m{std::string(fields[1]), std::string(fields[2]), std::string(fields[3]), std::string(fields[4]),
                  std::string(fields[6]), 0, std::string(content)};
  const auto [end, ec] = std::from_chars(fields[5].data(), fields[5].data() + fields[5].size(), m.version);
  if (ec != std::errc{} || end != fields[5].data() + fields[5].size()) return std::nullopt;
  return m;
}

void OutboxBatch::flush() {
  if (messages_.empty()) return;
  core::ArrayLiteral contents;
  for (const auto& m : messages_) contents.add(m);
  core::exec(tx_, queries::emit_events(), std::string(kOutboxPrefix), contents.str());
  messages_.clear();
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
  std::string message =
      OutboxMessage{std::string(topic), e.key, e.id, e.type, e.traceparent, e.version, encode(e)}.encode();
  if (auto* batch = OutboxBatch::active(tx))
    batch->messages_.push_back(std::move(message));
  else
    core::exec(tx, queries::emit_event(), std::string(kOutboxPrefix), message);
  return e.id;
}

}  // namespace shopmesh::events
