#pragma once
// The outbox relay: streams the outbox's messages (see outbox.hpp) from the database's logical
// replication slot, in commit order, and publishes them to Kafka. What the walsender has sent is
// handed to the producer at once and sent without waiting for earlier batches to be acknowledged
// (the thread sleeps on the stream and on librdkafka's report queue together), each transaction
// only once a snapshot shows it committed (the walsender decodes a commit a moment before other
// sessions can see it). Each transaction's end LSN is confirmed to PostgreSQL once Kafka
// acknowledged every event of it and of all transactions before it: the slot's confirmed position
// is the restart point, so a relay that dies or loses the broker starts again after the last fully
// acknowledged transaction (at-least-once; consumers drop duplicates by event id). No polling and
// no NOTIFY: the walsender sends a transaction at commit.
//
// One active relay per database: the slot admits one reader, and other instances of the service
// stand by, trying again every few seconds (`outbox_relay_active` is 1 on the instance that streams).
// The slot retains WAL while the relay is away, up to PostgreSQL's max_slot_wal_keep_size;
// `meshctl outbox status` and the service's health show it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "shopmesh/core/service.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::events {

class OrderPipeline;

struct RelayOptions {
  std::string database_url;
  std::string brokers;
  std::string producer_name;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
  /// How often a standing-by instance tries to take the slot: an active relay that dies lets go of
  /// it at once (its walsender sees the connection close), so this bounds the takeover time.
  std::chrono::milliseconds standby_retry{2'000};
  /// Health turns red when the slot retains more WAL than this (the relay is away or behind).
  long long max_retained_wal_bytes = 512LL * 1024 * 1024;
  /// How often every instance (the standing-by ones too) reads the slot's backlog from PostgreSQL
  /// for `outbox_backlog_bytes`, so that a stalled or dead relay still shows.
  std::chrono::milliseconds backlog_every{2'000};
  /// When set, ORDER_CREATED acknowledged by Kafka is the pipeline's `published` stage (orders).
  OrderPipeline* pipeline = nullptr;
};

/// The replication slot of the database `database_name`: "shopmesh_outbox_<name>".
std::string outbox_slot_name(std::string_view database_name);

/// How far the slot of the database behind `tx` is: WAL it retains, and whether a relay reads it.
struct SlotStatus {
  bool exists = false;
  bool active = false;
  std::string wal_status;  // reserved, extended, unreserved, lost
  long long retained_bytes = 0;      // WAL kept for the slot (current LSN - restart LSN)
  long long unconfirmed_bytes = 0;   // WAL not yet confirmed by the relay (current LSN - confirmed)
};
SlotStatus outbox_slot_status(core::PgPool& db);

class OutboxRelay : public core::Component {
 public:
  /// Creates the database's slot when it is missing, before anything can write an event, and
  /// republishes events left in the outbox table of earlier versions. Throws when PostgreSQL
  /// cannot decode logically (wal_level must be 'logical').
  OutboxRelay(RelayOptions options, core::Logger& log, prometheus::Registry& metrics);
  ~OutboxRelay() override;

  void start() override;
  void stop() override;

  /// A health check for run_service: false when the slot is lost or retains more than allowed.
  static std::function<bool()> health_check(core::PgPool& db, long long max_retained_wal_bytes);

 private:
  void run();
  void watch_backlog();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Wires the service's relay: the component, and its "outbox" health check.
void add_outbox_relay(core::ServiceContext& ctx, const std::string& producer_name, OrderPipeline* pipeline = nullptr);

}  // namespace shopmesh::events
