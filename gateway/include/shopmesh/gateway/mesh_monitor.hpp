#pragma once
// The background task behind the mesh view: every GATEWAY_MESH_SCRAPE_MS it scrapes each upstream
// instance's /metrics, the gateway's own registry and the dead-letter topics' ends (through the
// events/ Kafka layer), keeps the previous round to compute rates over the interval, and publishes
// mesh.json for the admin listener to hand out. Requests never wait for a scrape.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "shopmesh/gateway/mesh_view.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::gateway {

struct GatewayConfig;

/// The topology the gateway knows: its upstream pools and the topic catalogue.
MeshTopology mesh_topology(const GatewayConfig& config, const events::TopicCatalogue& catalogue);

class MeshMonitor {
 public:
  MeshMonitor(MeshTopology topology, std::string kafka_brokers, std::chrono::milliseconds interval,
              prometheus::Registry& registry, core::Logger& log);
  ~MeshMonitor();
  MeshMonitor(const MeshMonitor&) = delete;
  MeshMonitor& operator=(const MeshMonitor&) = delete;

  void start();
  void stop();
  /// The latest mesh.json, or nullptr before the first round finished.
  std::shared_ptr<const std::string> latest() const;

 private:
  MeshScrape scrape_round();
  void run();

  MeshTopology topology_;
  std::string brokers_;
  std::chrono::milliseconds interval_;
  prometheus::Registry& registry_;
  core::Logger& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<const std::string> latest_;
  std::unique_ptr<events::TopicEndsReader> dlq_reader_;
  std::thread thread_;
};

}  // namespace shopmesh::gateway
