#pragma once
// The mesh view behind the admin listener's page and /mesh.json (and so `meshctl top`): what the
// mesh is made of (the gateway's upstream pools, contracts/topics.json) and two consecutive
// scrapes of every component's metrics and of the dead-letter topics, turned into the figures the
// page draws. Plain data in, JSON out: no sockets, no Kafka client, unit-tested on its own.
// The JSON is described by contracts/mesh.schema.json.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shopmesh/events/kafka.hpp"
#include "shopmesh/events/topics.hpp"
#include "shopmesh/gateway/prometheus_text.hpp"

namespace shopmesh::gateway {

/// What is known without asking anyone: the services with their instances, topics and groups.
struct MeshTopology {
  struct Service {
    std::string name;
    std::vector<std::string> instances;  // host:port, as the gateway's pools reach them
  };
  std::vector<Service> services;
  events::TopicCatalogue catalogue;
};

/// One service instance's /metrics, or why it could not be read.
struct InstanceScrape {
  std::string service;
  std::string instance;
  bool ok = false;
  std::string error;
  prom::Scrape metrics;
};

/// One dead-letter topic's ends, or why they could not be read.
struct DlqScrape {
  std::string topic;
  bool ok = false;
  std::string error;
  events::TopicEnds ends;
};

/// Everything read in one round.
struct MeshScrape {
  std::chrono::system_clock::time_point at;
  prom::Scrape gateway;  // the gateway's own registry
  std::vector<InstanceScrape> instances;
  std::vector<DlqScrape> dlqs;
};

/// The admin routes the gateway's own request figures leave out (the page polling itself).
inline constexpr std::string_view kAdminRouteLabels[] = {"/metrics", "/health", "/", "/mesh.json"};

/// mesh.json for `after`, with rates and p99s over the interval since `before` (null without one,
/// or when nothing happened in the interval). Figures whose series no component exports are null.
std::string mesh_json(const MeshTopology& topology, const MeshScrape* before, const MeshScrape& after);

}  // namespace shopmesh::gateway
