#include "stages/list.hpp"

#include "config.hpp"
#include "metrics.hpp"
#include "rate_limit.hpp"
#include "routes.hpp"
#include "server.hpp"
#include "stages/admin.hpp"
#include "stages/authenticate.hpp"
#include "stages/builtins.hpp"
#include "stages/caching.hpp"
#include "stages/cross_origin.hpp"
#include "stages/framing.hpp"
#include "stages/health.hpp"
#include "stages/proxy.hpp"
#include "stages/rate_limits.hpp"
#include "stages/request_id.hpp"
#include "upstream.hpp"

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
  s.push_back(std::make_unique<FramingStage>());
  s.push_back(std::make_unique<HealthStage>(
      HealthConfig{c.health_timeout, c.events_enabled, c.revocation_max_lag, builtin(parts, BuiltinRoute::api_health)},
      upstreams, parts.kafka, parts.auth, parts.feed));
  s.push_back(std::make_unique<BuiltinsStage>(
      parts.docs, BuiltinRouteIds{builtin(parts, BuiltinRoute::health), builtin(parts, BuiltinRoute::openapi),
                                  builtin(parts, BuiltinRoute::docs)}));
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
      parts.config.metrics_token, parts.registry, parts.metrics, parts.revocations,
      AdminRouteIds{builtin(parts, BuiltinRoute::metrics), builtin(parts, BuiltinRoute::health)}));
  return s;
}

}  // namespace shopmesh::gateway
