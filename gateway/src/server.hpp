#pragma once
// The gateway's HTTP front: sessions, routing, proxying, /api/health and /metrics.
#include <memory>

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::gateway {

struct GatewayConfig;
class RouteTable;
class KafkaProbe;

class GatewayServer {
 public:
  GatewayServer(const GatewayConfig& config, const RouteTable& routes, KafkaProbe& kafka, core::Logger& log,
                prometheus::Registry& metrics);
  ~GatewayServer();

  void listen();
  unsigned short port() const;
  /// Serves until SIGTERM/SIGINT, then drains in-flight requests within the grace period.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::gateway
