#pragma once
// The gateway's HTTP front: sessions, limits, routing, authentication, rate limits, the response
// cache, proxying, /api/health, /metrics, /api/docs. This is the Beast adapter; the decisions it
// applies live in plain classes (routes, auth, rate_limit, response_cache, cors, docs_site).
#include <memory>

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class Logger;
class MeshAuth;
}

namespace shopmesh::gateway {

struct GatewayConfig;
class RouteTable;
class KafkaProbe;
class Authenticator;
class JwksClient;
class RateLimiter;
class ResponseCache;
class RevocationSet;
class RevocationFeed;
class CorsPolicy;
class DocsSite;
class GatewayMetrics;
class MeshMonitor;

/// What the server works with; everything is built in main and outlives the server.
struct GatewayParts {
  const GatewayConfig& config;
  const RouteTable& routes;
  KafkaProbe& kafka;
  core::Logger& log;
  prometheus::Registry& registry;
  GatewayMetrics& metrics;
  Authenticator& auth;
  JwksClient& jwks;
  RateLimiter& limiter;
  ResponseCache& cache;
  RevocationSet& revocations;
  const RevocationFeed& feed;  // whether the revocation set can be trusted alone
  const CorsPolicy& cors;
  DocsSite& docs;
  const core::MeshAuth& mesh;  // signs every forwarded request
  const MeshMonitor* mesh_view = nullptr;  // the admin listener's mesh page; nullptr: off
};

class GatewayServer {
 public:
  explicit GatewayServer(const GatewayParts& parts);
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
