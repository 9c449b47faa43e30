#pragma once
// The gateway's event intake. GatewayEventHandler decides what an event means here (plain code,
// unit-tested): SESSION_REVOKED from the identity topic goes into the revocation set; catalog
// and stock-level events clear the response cache. EventConsumer is the Kafka side: an
// rdkafka++ consumer on its own thread, in a consumer group unique to this gateway instance so
// that every instance sees every event, committing nothing. It reports to a RevocationFeed what it
// has read of the identity topic and, every `probe_interval`, the topic's end offsets (asked over a
// client of their own: a fetch the broker holds would hold them too), so that the gateway knows
// whether its revocation set is complete (revocation_feed.hpp).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/revocation_feed.hpp"

namespace RdKafka {
class Handle;
}

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::gateway {

class ResponseCache;

/// Reads a SESSION_REVOKED envelope; nullopt when it is not one or is malformed.
std::optional<SessionRevoked> parse_session_revoked(std::string_view envelope_json);

class GatewayEventHandler {
 public:
  enum class Effect { ignored, revoked, cache_cleared, malformed };

  GatewayEventHandler(std::string identity_topic, std::vector<std::string> cache_topics, RevocationSet& revocations,
                      ResponseCache& cache);
  /// Applies one event (the Kafka message value) received on `topic` at `now_s` (Unix seconds).
  Effect apply(std::string_view topic, std::string_view value, std::int64_t now_s);

 private:
  std::string identity_topic_;
  std::vector<std::string> cache_topics_;
  RevocationSet& revocations_;
  ResponseCache& cache_;
};

class EventConsumer {
 public:
  struct Settings {
    std::string brokers;
    std::string group_id;
    std::string identity_topic;
    std::vector<std::string> cache_topics;
    std::chrono::seconds identity_replay{960};  // read identity events this far back at start
    RevocationFeed* feed = nullptr;              // told what was read of the identity topic
    std::chrono::milliseconds probe_interval{250};
  };
  using Sink = std::function<void(std::string_view topic, std::string_view value)>;

  EventConsumer(Settings settings, Sink sink, core::Logger& log);
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  void start();
  /// Closes the consumer (leaving the group) and joins the thread. Idempotent.
  void stop();
  /// True once partitions are assigned.
  bool assigned() const { return assigned_.load(std::memory_order_relaxed); }
  std::uint64_t consumed() const { return consumed_.load(std::memory_order_relaxed); }

 private:
  class Rebalance;
  void loop();
  void probe(RdKafka::Handle& client);

  Settings settings_;
  Sink sink_;
  core::Logger& log_;
  std::int64_t started_ms_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> assigned_{false};
  std::atomic<std::uint64_t> consumed_{0};
  std::thread thread_;
  std::vector<std::int32_t> identity_partitions_;  // assigned; touched on the consumer thread only
};

}  // namespace shopmesh::gateway
