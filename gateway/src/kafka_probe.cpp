#include "shopmesh/gateway/kafka_probe.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <memory>

#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/events/kafka.hpp"

namespace shopmesh::gateway {

KafkaProbe::KafkaProbe(std::string brokers) : brokers_(std::move(brokers)), thread_([this] { loop(); }) {}

KafkaProbe::~KafkaProbe() {
  stopping_.request();
  thread_.join();
}

void KafkaProbe::loop() {
  core::name_this_thread("kafka-probe");
  core::yield_on_wakeup();
  std::unique_ptr<RdKafka::Producer> client;
  try {
    client = events::KafkaConfig(brokers_, "shopmesh-gateway-health").set("log_level", "3").producer();
  } catch (const std::exception&) {
    // never healthy: /api/health reports Kafka down
  }
  while (!stopping_) {
    const bool ok = client && events::broker_reachable(*client, std::chrono::seconds(2));
    healthy_.store(ok, std::memory_order_relaxed);
    stopping_.wait_for(std::chrono::seconds(ok ? 5 : 1));
  }
}

}  // namespace shopmesh::gateway
