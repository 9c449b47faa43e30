#pragma once
// The admin listener's last stage (GATEWAY_ADMIN_HOST:GATEWAY_ADMIN_PORT, loopback by default; the
// model is Envoy's admin interface): GET /metrics (Prometheus text; GATEWAY_METRICS_TOKEN, when
// set, is required as a bearer token) and GET /health. Nothing is routed here and nothing is
// rate limited; every other request is answered 404 or 405.
#include <cstddef>
#include <string>

#include "shopmesh/gateway/stage.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::gateway {

class GatewayMetrics;
class RevocationSet;

struct AdminRouteIds {
  std::size_t metrics = 0, health = 0;
};

class AdminStage final : public Stage {
 public:
  AdminStage(std::string metrics_token, prometheus::Registry& registry, GatewayMetrics& metrics,
             const RevocationSet& revocations, AdminRouteIds ids)
      : metrics_token_(std::move(metrics_token)),
        registry_(registry),
        metrics_(metrics),
        revocations_(revocations),
        ids_(ids) {}
  std::string_view name() const override { return "admin"; }
  Answer request(Request& req, Exchange& ex) override;

 private:
  std::string metrics_token_;
  prometheus::Registry& registry_;
  GatewayMetrics& metrics_;
  const RevocationSet& revocations_;
  AdminRouteIds ids_;
};

}  // namespace shopmesh::gateway
