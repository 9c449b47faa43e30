#pragma once
// Transactional outbox in the write-ahead log: an event is one logical decoding message
// (pg_logical_emit_message, transactional) written inside the same PostgreSQL transaction as the
// state change it describes, so it exists if and only if that transaction commits, and costs one
// WAL record instead of a row inserted, updated and deleted. The relay (OutboxRelay) reads the
// committed messages in commit order over logical replication and publishes them to Kafka.
//
// An event is only ever read from the database's replication slot, so the slot must exist before
// the first event is written: OutboxRelay's constructor creates it, and a service builds its relay
// (events::add_outbox_relay) before anything that writes events, seeds included. Events written
// to a database without a slot are never published.
//
// The publication the relay reads through and the inbox table come from events::migrations()
// (component "events"), applied at service start:
//   run_service({"orders", 8085, {{"events", &events::migrations()}, {"orders", &orders::migrations()}}, ...})
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "shopmesh/core/migrate.hpp"

namespace shopmesh::events {

/// The event bus's schema: the outbox publication and the inbox table.
const std::vector<core::Migration>& migrations();

/// The prefix of the outbox's logical decoding messages.
inline constexpr std::string_view kOutboxPrefix = "shopmesh.outbox";

/// One event as the outbox writes it into the WAL: where it goes and exactly what goes there.
struct OutboxMessage {
  std::string topic, key, id, type, traceparent;
  int version = 0;
  std::string value;  // the encoded envelope

  /// The message's content: "v1", topic, key, id, type, version and traceparent on one line each,
  /// then the value. Throws std::invalid_argument when a header field holds a line break.
  std::string encode() const;
  /// Nothing when `content` is not an outbox message of a known format.
  static std::optional<OutboxMessage> decode(std::string_view content);
};

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

/// Gathers the events written in one transaction and writes them with one statement at flush(),
/// instead of one statement per event: a consumer applying a batch of messages keeps its
/// transaction (and the row locks it holds) short. While it is alive on a thread, Outbox::add
/// in that transaction adds to it. Events not flushed are dropped with it (the transaction is
/// failing then).
class OutboxBatch {
 public:
  explicit OutboxBatch(pqxx::transaction_base& tx);
  ~OutboxBatch();
  OutboxBatch(const OutboxBatch&) = delete;
  OutboxBatch& operator=(const OutboxBatch&) = delete;

  /// Writes the gathered events, in the order they were added. Call before committing.
  void flush();

 private:
  friend class Outbox;
  static OutboxBatch* active(const pqxx::transaction_base& tx);

  pqxx::transaction_base& tx_;
  OutboxBatch* outer_;
  std::vector<std::string> messages_;
};

}  // namespace shopmesh::events
