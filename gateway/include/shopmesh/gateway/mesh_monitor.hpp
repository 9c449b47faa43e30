#pragma once
// The background task behind the mesh view: every GATEWAY_MESH_SCRAPE_MS it scrapes each upstream
// instance's /metrics, the gateway's own registry and the dead-letter topics' ends (through the
// events/ Kafka layer), keeps the previous round to compute rates over the interval, and publishes
// mesh.json for the admin listener to hand out. Requests never wait for a scrape.
//
// It scrapes only while someone watches: the rounds start at the first look at mesh.json (the page
// and `meshctl top` ask every two seconds) and stop once nobody has looked for `idle_after`, so an
// unwatched gateway puts no load on the instances it serves (each scrape serializes an instance's
// whole registry on its I/O thread). Going idle forgets the rounds: a view after a pause starts over
// rather than show stale figures, and has rates from its second round.
#include <chrono>
#include <condition_variable>
#include <cstdint>
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
  static constexpr std::chrono::milliseconds kIdleAfter{60'000};

  MeshMonitor(MeshTopology topology, std::string kafka_brokers, std::chrono::milliseconds interval,
              prometheus::Registry& registry, core::Logger& log, std::chrono::milliseconds idle_after = kIdleAfter);
  ~MeshMonitor();
  MeshMonitor(const MeshMonitor&) = delete;
  MeshMonitor& operator=(const MeshMonitor&) = delete;

  void start();
  void stop();
  /// The latest mesh.json, or nullptr before the first round since the rounds started. A call is a
  /// look: it starts the rounds, or keeps them going for another `idle_after`.
  std::shared_ptr<const std::string> latest() const;
  /// Rounds done since start().
  std::uint64_t rounds() const;

 private:
  MeshScrape scrape_round();
  void run();

  MeshTopology topology_;
  std::string brokers_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds idle_after_;
  prometheus::Registry& registry_;
  core::Logger& log_;
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
  bool stopping_ = false;
  mutable std::chrono::steady_clock::time_point watched_until_{};  // rounds run until then
  std::uint64_t rounds_ = 0;
  std::shared_ptr<const std::string> latest_;
  std::unique_ptr<events::TopicEndsReader> dlq_reader_;
  std::thread thread_;
};

}  // namespace shopmesh::gateway
