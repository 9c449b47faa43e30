#pragma once
// Transactional outbox: an event is written to the `outbox` table inside the same PostgreSQL
// transaction as the state change it describes, so it is published if and only if that
// transaction commits. A relay (OutboxRelay) publishes committed rows to Kafka, in commit order
// per key, woken by LISTEN/NOTIFY within milliseconds of the commit.
//
// Tables come from events::migrations() (component "events"), applied at service start:
//   run_service({"orders", 8085, {{"events", &events::migrations()}, {"orders", &orders::migrations()}}, ...})
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "shopmesh/core/migrate.hpp"

namespace shopmesh::events {

/// The outbox and inbox tables of the event bus.
const std::vector<core::Migration>& migrations();

/// Where an event comes from: the HTTP request (request id, traceparent) or the consumed event
/// that caused it (its correlation id, its id as causation, its traceparent).
struct EventContext {
  std::string correlation_id;
  std::string causation_id;
  std::string traceparent;
};

/// Writes events into the outbox of the current service.
class Outbox {
 public:
  explicit Outbox(std::string producer) : producer_(std::move(producer)) {}

  /// Adds one event to the outbox inside `tx`; returns the new event id (UUIDv7).
  /// `data_json` must be a JSON object that matches the contract of (type, version).
  std::string add(pqxx::transaction_base& tx, std::string_view topic, std::string_view type, int version,
                  std::string_view key, std::string data_json, const EventContext& context) const;

  /// Typed form for generated contract structs (they carry kType, kVersion and to_json).
  template <class Event>
  std::string add(pqxx::transaction_base& tx, std::string_view topic, std::string_view key, const Event& event,
                  const EventContext& context) const {
    return add(tx, topic, Event::kType, Event::kVersion, key, to_json(event), context);
  }

  const std::string& producer() const { return producer_; }

 private:
  std::string producer_;
};

/// Gathers the outbox rows written in one transaction and inserts them with one statement at
/// flush(), instead of one statement per event: a consumer applying a batch of messages keeps
/// its transaction (and the row locks it holds) short. While it is alive on a thread,
/// Outbox::add in that transaction adds to it. Rows not flushed are dropped with it (the
/// transaction is failing then).
class OutboxBatch {
 public:
  explicit OutboxBatch(pqxx::transaction_base& tx);
  ~OutboxBatch();
  OutboxBatch(const OutboxBatch&) = delete;
  OutboxBatch& operator=(const OutboxBatch&) = delete;

  /// Inserts the gathered rows, in the order they were added. Call before committing.
  void flush();

 private:
  friend class Outbox;
  struct Row {
    std::string id, topic, key, type, value, traceparent;
    int version = 0;
  };
  static OutboxBatch* active(const pqxx::transaction_base& tx);

  pqxx::transaction_base& tx_;
  OutboxBatch* outer_;
  std::vector<Row> rows_;
};

}  // namespace shopmesh::events
