#pragma once
// Gateway configuration from environment variables.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shopmesh/core/config.hpp"

namespace shopmesh::gateway {

struct UpstreamAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct GatewayConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  int io_threads = 2;
  std::string kafka_brokers;
  std::string log_level = "info";
  std::string routes_file;  // empty: the built-in gateway/routes.json
  std::map<std::string, std::vector<UpstreamAddress>> upstreams;  // service -> instances
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds connect_timeout{1'000};
  std::chrono::milliseconds eject_for{5'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds health_timeout{2'000};
  std::size_t max_connections = 10'000;
  std::size_t max_idle_upstream = 64;  // idle keep-alive connections kept per upstream instance

  static GatewayConfig from_env(core::EnvReader& env);
};

/// Parses "http://host:port" (comma-separated list allowed); appends to `out`, false on error.
bool parse_upstream_urls(const std::string& text, std::vector<UpstreamAddress>& out);

/// The services the gateway knows and the variable naming their URLs, e.g. {"auth", "AUTH_URL"}.
const std::vector<std::pair<std::string, std::string>>& known_services();

}  // namespace shopmesh::gateway
