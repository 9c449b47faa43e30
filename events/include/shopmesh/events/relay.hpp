#pragma once
// The outbox relay: publishes committed outbox rows to Kafka in commit order (seq), so events of
// one key keep their order. Woken by LISTEN/NOTIFY at commit time, with a slow poll as fallback;
// marks rows published after the broker acknowledged them; retries with backoff while the broker
// is away — delayed, never lost or reordered.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "shopmesh/core/service.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::events {

struct RelayOptions {
  std::string database_url;
  std::string brokers;
  std::string producer_name;
  std::size_t batch_size = 500;
  std::chrono::milliseconds fallback_poll{1'000};
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
  std::chrono::hours retention{24 * 7};  // published rows older than this are pruned
};

class OutboxRelay : public core::Component {
 public:
  OutboxRelay(RelayOptions options, core::Logger& log, prometheus::Registry& metrics);
  ~OutboxRelay() override;

  void start() override;
  void stop() override;
  /// Wakes the relay now (tests; NOTIFY does this in production).
  void wake();

 private:
  void run();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::events
