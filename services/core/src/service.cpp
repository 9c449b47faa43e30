#include "shopmesh/core/service.hpp"

#include <cstdio>
#include <iostream>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "shopmesh/core/http_server.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/pg.hpp"

namespace shopmesh::core {
namespace {

void add_health_route(ServiceContext& ctx) {
  ctx.router.add("GET", "/health", [&ctx](Request&) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    bool ok = true;
    w.StartObject();
    json::kv(w, "service", ctx.config.service_name);
    w.Key("checks");
    w.StartObject();
    for (const auto& [name, check] : ctx.health_checks) {
      bool passed = false;
      try {
        passed = check();
      } catch (const std::exception&) {
        passed = false;
      }
      ok = ok && passed;
      json::kv(w, name, passed ? "ok" : "down");
    }
    w.EndObject();
    if (!ctx.health_details.empty()) {
      w.Key("details");
      w.StartObject();
      for (const auto& [name, detail] : ctx.health_details) {
        std::string object;
        try {
          object = detail();
        } catch (const std::exception&) {
          object = "null";
        }
        w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        w.RawValue(object.data(), object.size(), rapidjson::kObjectType);
      }
      w.EndObject();
    }
    json::kv(w, "status", ok ? "ok" : "down");
    w.EndObject();
    return Response::json(ok ? 200 : 503, {buf.GetString(), buf.GetSize()});
  });
}

void add_metrics_route(Router& router, prometheus::Registry& registry) {
  router.add(
      "GET", "/metrics",
      [&registry](Request&) {
        Response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = prometheus::TextSerializer().Serialize(registry.Collect());
        return r;
      },
      Dispatch::inline_io);
}

}  // namespace

int run_service(const ServiceSpec& spec) {
  EnvReader env;
  ServiceConfig config = ServiceConfig::from_env(env, spec.name, spec.default_port, !spec.migrations.empty());
  try {
    env.finish();
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", spec.name.c_str(), e.what());
    return 2;
  }
  Logger configured_log(config.service_name, parse_log_level(config.log_level));
  auto registry = std::make_shared<prometheus::Registry>();
  Router router;
  std::unique_ptr<PgPool> db;
  try {
    if (!spec.migrations.empty()) {
      db = std::make_unique<PgPool>(config.database_url, static_cast<std::size_t>(config.worker_threads) + 4,
                                    config.statement_timeout, configured_log);
      int applied = migrate(*db, spec.migrations, configured_log);
      configured_log.info("database ready", {num("migrationsApplied", static_cast<long long>(applied))});
    }
    const MeshAuth mesh(config.service_name, config.mesh_keys);
    ServiceContext ctx{config, env, configured_log, db.get(), *registry, router, mesh, {}, {}, {}};
    if (db) ctx.health_checks.emplace_back("postgres", [pool = db.get()] { return pool->ping(); });
    spec.wire(ctx);
    try {
      env.finish();
    } catch (const ConfigError& e) {
      std::fprintf(stderr, "%s: %s\n", spec.name.c_str(), e.what());
      return 2;
    }
    add_health_route(ctx);
    add_metrics_route(router, *registry);

    HttpServer server(config, router, mesh, configured_log, *registry);
    server.listen();
    for (auto& c : ctx.components) c->start();
    server.run();
    for (auto it = ctx.components.rbegin(); it != ctx.components.rend(); ++it) (*it)->stop();
    ctx.components.clear();
    configured_log.info("stopped");
    return 0;
  } catch (const std::exception& e) {
    configured_log.error("fatal", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace shopmesh::core
