#pragma once
// The wiring every service main shares: config, logger, metrics, database + migrations,
// routes, background components, health and metrics endpoints, then serve until SIGTERM.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shopmesh/core/config.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/core/migrate.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::core {

class PgPool;

/// Something that runs beside the HTTP server (a Kafka consumer, an outbox relay).
class Component {
 public:
  virtual ~Component() = default;
  virtual void start() = 0;
  /// Stops and joins; called in reverse order of registration before the pool is closed.
  virtual void stop() = 0;
};

/// What `wire` gets to build a service from.
struct ServiceContext {
  const ServiceConfig& config;
  EnvReader& env;  // read service-specific settings here; validated after wire returns
  Logger& log;
  PgPool* db;  // null for services without a database
  prometheus::Registry& metrics;
  Router& router;
  const MeshAuth& mesh;  // signs this service's calls to other services (HttpCall::mesh)
  std::vector<std::unique_ptr<Component>> components;
  std::vector<std::pair<std::string, std::function<bool()>>> health_checks;
  /// Figures shown beside the checks in /health, under "details": name -> a JSON object's text.
  std::vector<std::pair<std::string, std::function<std::string()>>> health_details;
};

struct ServiceSpec {
  std::string name;
  std::uint16_t default_port = 0;
  std::vector<MigrationSet> migrations;  // empty: the service has no database
  std::function<void(ServiceContext&)> wire;
};

/// Runs a service to completion; returns the process exit code.
int run_service(const ServiceSpec& spec);

}  // namespace shopmesh::core
