// The API gateway: wires configuration, routes, authentication, event intake and the server.
#include <prometheus/registry.h>
#ifdef SHOPMESH_MIMALLOC
#include <mimalloc.h>
#endif

#include <cstdio>
#include <fstream>
#include <sstream>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/cors.hpp"
#include "shopmesh/gateway/docs_site.hpp"
#include "shopmesh/gateway/events.hpp"
#include "shopmesh/gateway/jwks_client.hpp"
#include "shopmesh/gateway/kafka_probe.hpp"
#include "shopmesh/gateway/mesh_monitor.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/server.hpp"

std::string_view default_routes_json();
std::string_view mesh_topics_json();

int main() {
  using namespace shopmesh;
  using namespace shopmesh::gateway;
  core::EnvReader env;
  GatewayConfig config = GatewayConfig::from_env(env);
  try {
    env.finish();
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "gateway: %s\n", e.what());
    return 2;
  }
  core::Logger log("gateway", core::parse_log_level(config.log_level));
  log.flush_every(config.log_flush);
#ifdef SHOPMESH_MIMALLOC
  log.info("allocator", {{"name", "mimalloc"}, core::num("version", static_cast<long long>(mi_version()))});
#endif
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
    const auto routes = RouteTable::parse(routes_json);
    RateLimiter limiter(config.rate_classes, config.rate_limit_max_keys);
    for (const auto& r : routes.routes()) {
      if (limiter.class_id(r.rate_class) < 0) {
        std::fprintf(stderr, "gateway: route %s uses rate class '%s', which is not configured (RATE_LIMIT_*)\n",
                     r.pattern.c_str(), r.rate_class.c_str());
        return 2;
      }
      if (!config.upstreams.contains(r.service)) {
        std::fprintf(stderr, "gateway: route %s names unknown service '%s'\n", r.pattern.c_str(), r.service.c_str());
        return 2;
      }
    }

    prometheus::Registry registry;
    std::vector<std::string> patterns, services, classes;
    std::vector<std::vector<std::string>> instances;
    for (const auto& r : routes.routes()) patterns.push_back(r.pattern);
    for (const auto& [service, addresses] : config.upstreams) {
      services.push_back(service);
      auto& names = instances.emplace_back();
      for (const auto& a : addresses) names.push_back(a.host + ":" + std::to_string(a.port));
    }
    for (const auto& [name, _] : config.rate_classes) classes.push_back(name);
    GatewayMetrics metrics(registry, route_metric_labels(patterns), services, classes, instances);

    RevocationSet revocations(config.revocation_retention.count());
    RevocationFeed feed;
    ResponseCache cache(
        {config.cache_max_entries, config.cache_max_bytes, config.cache_max_entry_bytes, config.cache_ttl});
    Authenticator::Settings auth_settings;
    auth_settings.verify.issuer = config.jwt_issuer;
    auth_settings.verify.audience = config.jwt_audience;
    auth_settings.verify.leeway = config.jwt_leeway;
    auth_settings.verify.max_token_bytes = config.jwt_max_token_bytes;
    auth_settings.cache_capacity = config.token_cache_size;
    auth_settings.max_lifetime = config.access_ttl;
    Authenticator auth(auth_settings, revocations);
    const core::MeshAuth mesh("gateway", config.mesh_keys);
    JwksClient jwks({config.jwks_urls, config.jwks_refresh, config.jwks_refetch_min_interval,
                     std::chrono::milliseconds{2'000}, &mesh},
                    auth, log);
    CorsPolicy cors(config.cors_origins, config.cors_max_age);
    DocsSite docs(config.swagger_ui_dir, config.openapi_file);
    KafkaProbe kafka(config.kafka_brokers);

    GatewayEventHandler handler(config.identity_topic, config.cache_topics, revocations, cache);
    EventConsumer consumer(
        {config.kafka_brokers, config.consumer_group, config.identity_topic, config.cache_topics,
         config.revocation_retention, &feed},
        [&](std::string_view topic, std::string_view value) {
          const auto now_s =
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
          switch (handler.apply(topic, value, now_s)) {
            case GatewayEventHandler::Effect::cache_cleared:
              metrics.cache_invalidated();
              break;
            case GatewayEventHandler::Effect::revoked:
              log.debug("session revoked", {{"topic", std::string(topic)}});
              break;
            case GatewayEventHandler::Effect::malformed:
              log.warn("unreadable event", {{"topic", std::string(topic)}});
              break;
            case GatewayEventHandler::Effect::ignored:
              break;
          }
        },
        log);

    MeshMonitor mesh_view(mesh_topology(config, events::TopicCatalogue::parse(mesh_topics_json())),
                          config.kafka_brokers, config.mesh_scrape_interval, registry, log);

    GatewayServer server({config, routes, kafka, log, registry, metrics, auth, jwks, limiter, cache, revocations, feed,
                          cors, docs, mesh, config.mesh_scrape_interval.count() > 0 ? &mesh_view : nullptr});
    server.listen();
    jwks.start();
    if (config.events_enabled) consumer.start();
    mesh_view.start();
    server.run();
    // Stop the threads that call into the server's parts before anything is destroyed.
    mesh_view.stop();
    consumer.stop();
    jwks.stop();
    log.info("stopped");
    return 0;
  } catch (const std::exception& e) {
    log.error("fatal", {{"error", e.what()}});
    return 1;
  }
}
