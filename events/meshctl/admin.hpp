#pragma once
// Kafka administration through librdkafka's C admin API: readiness, topic creation, listing.
#include <chrono>
#include <string>
#include <vector>

#include "shopmesh/events/topics.hpp"

struct rd_kafka_s;

namespace shopmesh::meshctl {

class Admin {
 public:
  explicit Admin(const std::string& brokers);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  /// Polls metadata until a broker answers or the timeout passes.
  bool wait_ready(std::chrono::milliseconds timeout);
  /// Creates missing topics (existing ones are left alone); prints one line per topic.
  bool ensure_topics(const std::vector<events::TopicSpec>& topics, std::chrono::milliseconds timeout);
  /// Prints every non-internal topic with partitions and summed end offsets.
  bool print_topics(std::chrono::milliseconds timeout);

 private:
  rd_kafka_s* rk_;
};

}  // namespace shopmesh::meshctl
