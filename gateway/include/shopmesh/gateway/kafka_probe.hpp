#pragma once
// Background Kafka reachability probe for /api/health: a metadata request every few seconds on
// its own thread, so health answers never wait on the broker.
#include <atomic>
#include <string>
#include <thread>

#include "shopmesh/core/stop_flag.hpp"

namespace shopmesh::gateway {

class KafkaProbe {
 public:
  explicit KafkaProbe(std::string brokers);
  ~KafkaProbe();
  KafkaProbe(const KafkaProbe&) = delete;
  KafkaProbe& operator=(const KafkaProbe&) = delete;

  /// True when the last metadata request succeeded.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

 private:
  void loop();

  std::string brokers_;
  std::atomic<bool> healthy_{false};
  core::StopFlag stopping_;
  std::thread thread_;
};

}  // namespace shopmesh::gateway
