#pragma once
// The services' HTTP/1.1 server: Beast + Asio coroutines. Per-read timeouts, header and body
// limits, bounded pipelining, blocking handlers on a bounded worker pool, graceful shutdown.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace shopmesh::core {

class Logger;
class MeshAuth;
class Router;
struct ServiceConfig;

class HttpServer {
 public:
  /// Every request but GET /health and GET /metrics must carry a credential `mesh` verifies (401 otherwise).
  HttpServer(const ServiceConfig& config, const Router& router, const MeshAuth& mesh, Logger& log,
             prometheus::Registry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds the listening socket (port 0 picks a free one); throws on failure.
  void listen();
  /// The bound port.
  std::uint16_t port() const;
  /// Serves until stop() or SIGTERM/SIGINT (when `handle_signals`), then drains and returns.
  void run(bool handle_signals = true);
  /// Stops accepting; in-flight requests get the configured grace period. Thread-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::core
