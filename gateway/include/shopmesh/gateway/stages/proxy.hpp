#pragma once
// Stage 11, the proxy: the client's request, written out as the upstream request
// (http_rules.hpp: write_upstream_request signs it with the mesh credential), goes to the route's
// service pool (upstream.hpp) within the route's timeout. Failures become 502 (connect / I/O),
// 503 with Retry-After (every instance ejected) or 504 (timeout), logged and counted per service.
#include <chrono>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::core {
class Logger;
class MeshAuth;
}  // namespace shopmesh::core

namespace shopmesh::gateway {

class Upstreams;
class GatewayMetrics;

class ProxyStage final : public Stage {
 public:
  /// `eject_for`: how long an instance stays ejected (the Retry-After of a 503).
  ProxyStage(const Upstreams& upstreams, const core::MeshAuth& mesh, std::chrono::milliseconds eject_for,
             GatewayMetrics& metrics, core::Logger& log)
      : upstreams_(upstreams), mesh_(mesh), eject_for_(eject_for), metrics_(metrics), log_(log) {}
  std::string_view name() const override { return "proxy"; }
  bool waits(const Exchange&) const override { return true; }
  boost::asio::awaitable<Answer> request_async(Request& req, Exchange& ex) override;

 private:
  const Upstreams& upstreams_;
  const core::MeshAuth& mesh_;
  std::chrono::milliseconds eject_for_;
  GatewayMetrics& metrics_;
  core::Logger& log_;
};

}  // namespace shopmesh::gateway
