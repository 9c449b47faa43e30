// The API gateway: wires configuration, routes, upstream pools and the server.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <prometheus/registry.h>

#include "config.hpp"
#include "kafka_probe.hpp"
#include "routes.hpp"
#include "server.hpp"
#include "shopmesh/core/log.hpp"

std::string_view default_routes_json();

int main() {
  using namespace shopmesh;
  core::EnvReader env;
  gateway::GatewayConfig config = gateway::GatewayConfig::from_env(env);
  try {
    env.finish();
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "gateway: %s\n", e.what());
    return 2;
  }
  core::Logger log("gateway", core::parse_log_level(config.log_level));
  try {
    std::string routes_json(default_routes_json());
    if (!config.routes_file.empty()) {
      std::ifstream in(config.routes_file);
      if (!in) {
        std::fprintf(stderr, "gateway: GATEWAY_ROUTES_FILE %s cannot be read\n", config.routes_file.c_str());
        return 2;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      routes_json = ss.str();
    }
    auto routes = gateway::RouteTable::parse(routes_json);
    prometheus::Registry registry;
    gateway::KafkaProbe kafka(config.kafka_brokers);
    gateway::GatewayServer server(config, routes, kafka, log, registry);
    server.listen();
    server.run();
    log.info("stopped");
    return 0;
  } catch (const std::exception& e) {
    log.error("fatal", {{"error", e.what()}});
    return 1;
  }
}
