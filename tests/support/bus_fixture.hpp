#pragma once
// Integration fixtures for the event bus: a private database with the bus migrations, a private
// topic, readers that collect what is on a topic, and a wait for an outbox relay to catch up.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/migrate.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/envelope.hpp"

namespace shopmesh::testing {

/// A fresh database (dropped at the end) with the event bus migrations applied. Its outbox slot
/// exists once an OutboxRelay was constructed on it (events committed before are not published).
/// Destroy relays on it first: the end drops its replication slots, then the database.
struct TestDatabase {
  explicit TestDatabase(const std::string& prefix);
  /// A fresh database with these migration sets applied, in order (a service's, as its main does).
  TestDatabase(const std::string& prefix, const std::vector<core::MigrationSet>& sets);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  std::string name;
  std::string url;
};

/// Creates a topic with `partitions` partitions on the stack's broker.
void create_topic(const std::string& name, int partitions);

struct ReadMessage {
  std::string key;
  std::string value;
  int partition = -1;
  long long offset = -1;
  std::map<std::string, std::string> headers;
};

/// Reads a topic from the beginning (a consumer of its own, no group) until `count` messages have
/// arrived or `timeout` passes.
std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout);

/// Every message on a topic up to its end as of the call (duplicates included), in offset order
/// per partition; throws when they cannot be read within `timeout`.
std::vector<ReadMessage> read_whole_topic(const std::string& topic, std::chrono::milliseconds timeout);

/// The events on `topic` that `wanted` accepts, each once (by event id: delivery is at-least-once),
/// in offset order per partition: reads the topic from the beginning up to its end as of the call,
/// then on until at least `at_least` were found or `timeout` passes. Values that are not envelopes
/// are skipped; `traceparent` comes from the message header.
std::vector<events::Envelope> published_events(const std::string& topic,
                                               const std::function<bool(const events::Envelope&)>& wanted,
                                               std::size_t at_least, std::chrono::milliseconds timeout);

/// The events published on `topic` with message key `key` (as above): a service's events for one
/// aggregate, oldest first.
std::vector<events::Envelope> published_events(const std::string& topic, const std::string& key, std::size_t at_least,
                                               std::chrono::milliseconds timeout);

/// Waits until the outbox relay of the database at `db_url` has published every event committed
/// there before the call: its slot confirmed a WAL position written after them. False after
/// `timeout` (no relay running, the broker away, no slot).
bool outbox_caught_up(const std::string& db_url, std::chrono::milliseconds timeout);

/// Sets a consumer group's committed offsets on a topic to the beginning, or to the end: a new
/// group then reads only what is published after the call (the group must be idle).
enum class GroupStart { beginning, end };
void reset_group_offsets(const std::string& group, const std::string& topic, GroupStart to = GroupStart::beginning);

/// Logger + metrics registry for components under test.
struct Infra {
  core::Logger log{"it", core::LogLevel::warn};
  prometheus::Registry metrics;
};

}  // namespace shopmesh::testing
