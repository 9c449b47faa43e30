#pragma once
// The admin listener's last stage (GATEWAY_ADMIN_HOST:GATEWAY_ADMIN_PORT, loopback by default; the
// model is Envoy's admin interface): GET /metrics (Prometheus text; METRICS_TOKEN, when set, is
// required as a bearer token), GET /health, GET / (the mesh page: static HTML that holds no
// figures, so it needs no token) and GET /mesh.json (the figures it draws, same token as
// /metrics). Nothing is routed here and nothing is rate limited; every other request is answered
// 404 or 405.
#include <cstddef>
#include <string>

#include "shopmesh/gateway/stage.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::gateway {

class GatewayMetrics;
class MeshMonitor;
class RevocationSet;

struct AdminRouteIds {
  std::size_t metrics = 0, health = 0, mesh_page = 0, mesh_json = 0;
};

class AdminStage final : public Stage {
 public:
  AdminStage(std::string metrics_token, prometheus::Registry& registry, GatewayMetrics& metrics,
             const RevocationSet& revocations, const MeshMonitor* mesh_view, AdminRouteIds ids)
      : metrics_token_(std::move(metrics_token)),
        registry_(registry),
        metrics_(metrics),
        revocations_(revocations),
        mesh_view_(mesh_view),
        ids_(ids) {}
  std::string_view name() const override { return "admin"; }
  Answer request(Request& req, Exchange& ex) override;

 private:
  std::string metrics_token_;
  prometheus::Registry& registry_;
  GatewayMetrics& metrics_;
  bool authorized(const Request& req) const;

  const RevocationSet& revocations_;
  const MeshMonitor* mesh_view_;  // nullptr: the mesh page is off
  AdminRouteIds ids_;
};

}  // namespace shopmesh::gateway
