#pragma once
// A Kafka producer for envelopes: idempotent, acks=all, delivery reports. librdkafka 2.0.2 can
// raise a fatal error (idempotence "sequence desynchronization") after a broker restart; the
// producer is then destroyed and recreated — callers see a failed delivery and retry, and the
// outbox guarantees nothing is lost.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "shopmesh/events/envelope.hpp"

namespace RdKafka {
class Producer;
}  // namespace RdKafka

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::events {

struct ProducerOptions {
  std::string brokers;
  std::string client_id;
  std::chrono::milliseconds delivery_timeout{30'000};  // 0: none (wait for the broker however long)
  std::chrono::milliseconds linger{1};
};

/// Outcome of one delivery report.
struct Delivery {
  bool ok = false;
  std::string error;
  int partition = -1;
  long long offset = -1;
};

/// The Kafka headers of an envelope: event-type, event-version, event-id, traceparent, content-type.
std::vector<std::pair<std::string, std::string>> envelope_headers(const Envelope& e);

class Producer {
 public:
  Producer(ProducerOptions options, core::Logger& log);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  using HeaderList = std::vector<std::pair<std::string, std::string>>;

  /// Queues a message; `done` runs from poll()/flush(). Returns false (and does not call `done`)
  /// when the message could not be queued.
  bool send(const std::string& topic, const std::string& key, const std::string& value, const HeaderList& headers,
            std::function<void(const Delivery&)> done);
  /// Serves delivery reports for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);
  /// A descriptor that turns readable when delivery reports are waiting (serve them with
  /// poll(0), then clear it with clear_ready()): lets a caller wait on it beside its own sockets
  /// instead of blocking in poll() or flush(). Stays valid when the producer is recreated.
  int ready_fd();
  void clear_ready();
  /// Waits until everything queued is delivered or failed; false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  /// Purges whatever is still queued or in flight and serves its (failed) delivery reports, so
  /// no callback outlives the caller's state.
  void drain();
  /// Number of times the underlying producer was recreated after a fatal error.
  int recreations() const { return recreations_; }

 private:
  void create();
  void recreate_if_fatal();
  void enable_ready_events();

  ProducerOptions options_;
  core::Logger& log_;
  std::unique_ptr<RdKafka::Producer> producer_;
  struct Reports;
  std::unique_ptr<Reports> reports_;
  int recreations_ = 0;
  int ready_pipe_[2] = {-1, -1};
};

}  // namespace shopmesh::events
