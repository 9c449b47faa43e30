#include "shopmesh/gateway/stages/list.hpp"

#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/server.hpp"
#include "shopmesh/gateway/stages/admin.hpp"
#include "shopmesh/gateway/stages/authenticate.hpp"
#include "shopmesh/gateway/stages/builtins.hpp"
#include "shopmesh/gateway/stages/caching.hpp"
#include "shopmesh/gateway/stages/cross_origin.hpp"
#include "shopmesh/gateway/stages/dialect.hpp"
#include "shopmesh/gateway/stages/framing.hpp"
#include "shopmesh/gateway/stages/health.hpp"
#include "shopmesh/gateway/stages/proxy.hpp"
#include "shopmesh/gateway/stages/rate_limits.hpp"
#include "shopmesh/gateway/stages/request_id.hpp"
#include "shopmesh/gateway/upstream.hpp"

namespace shopmesh::gateway {
namespace {

std::size_t builtin(const GatewayParts& parts, BuiltinRoute b) {
  return builtin_route_id(parts.routes.routes().size(), b);
}

}  // namespace

std::vector<std::unique_ptr<Stage>> public_stages(const GatewayParts& parts, const Upstreams& upstreams) {
  std::vector<int> route_classes;
  std::vector<std::string> cached_services;
  for (const auto& r : parts.routes.routes()) {
    route_classes.push_back(parts.limiter.class_id(r.rate_class));
    if (r.cache) cached_services.push_back(r.service);
  }
  const GatewayConfig& c = parts.config;
  std::vector<std::unique_ptr<Stage>> s;
  s.push_back(std::make_unique<RequestIdStage>());
  s.push_back(std::make_unique<CorsStage>(parts.cors, builtin(parts, BuiltinRoute::preflight)));
  s.push_back(std::make_unique<DialectStage>());
  s.push_back(std::make_unique<FramingStage>());
  s.push_back(std::make_unique<HealthStage>(
      HealthConfig{c.health_timeout, c.events_enabled, c.revocation_max_lag, builtin(parts, BuiltinRoute::api_health)},
      upstreams, parts.kafka, parts.auth, parts.feed));
  s.push_back(std::make_unique<BuiltinsStage>(
      parts.docs, BuiltinRouteIds{builtin(parts, BuiltinRoute::health), builtin(parts, BuiltinRoute::openapi),
                                  builtin(parts, BuiltinRoute::docs), builtin(parts, BuiltinRoute::api_health)}));
  s.push_back(std::make_unique<AddressRateLimitStage>(parts.limiter, std::move(route_classes), parts.metrics));
  s.push_back(std::make_unique<AuthenticateStage>(
      AuthenticateConfig{c.jwks_wait, c.events_enabled, c.revocation_max_lag, c.session_check_ttl}, parts.auth,
      parts.jwks, parts.feed, upstreams.find("auth"), parts.mesh, parts.metrics));
  s.push_back(std::make_unique<UserRateLimitStage>(parts.limiter, parts.limiter.class_id("user"), parts.metrics));
  s.push_back(std::make_unique<CacheStage>(parts.cache, std::move(cached_services), parts.metrics));
  s.push_back(std::make_unique<ProxyStage>(upstreams, parts.mesh, c.eject_for, parts.metrics, parts.log));
  return s;
}

std::vector<std::unique_ptr<Stage>> admin_stages(const GatewayParts& parts) {
  std::vector<std::unique_ptr<Stage>> s;
  s.push_back(std::make_unique<RequestIdStage>());
  s.push_back(std::make_unique<FramingStage>());
  s.push_back(std::make_unique<AdminStage>(
      parts.config.metrics_token, parts.registry, parts.metrics, parts.revocations, parts.mesh_view,
      AdminRouteIds{builtin(parts, BuiltinRoute::metrics), builtin(parts, BuiltinRoute::health),
                    builtin(parts, BuiltinRoute::mesh_page), builtin(parts, BuiltinRoute::mesh_json)}));
  return s;
}

}  // namespace shopmesh::gateway
