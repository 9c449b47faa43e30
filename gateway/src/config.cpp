#include "shopmesh/gateway/config.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>

namespace shopmesh::gateway {

const std::vector<std::pair<std::string, std::string>>& known_services() {
  static const std::vector<std::pair<std::string, std::string>> all{
      {"auth", "AUTH_URL"},         {"users", "USERS_URL"},
      {"products", "PRODUCTS_URL"}, {"cart", "CART_URL"},
      {"orders", "ORDERS_URL"},     {"stock", "STOCK_URL"},
      {"shipping", "SHIPPING_URL"}, {"notification", "NOTIFICATION_URL"}};
  return all;
}

const std::vector<RateClassDefault>& rate_class_defaults() {
  static const std::vector<RateClassDefault> all{{"default", "RATE_LIMIT_DEFAULT", "1000/s burst 2000"},
                                                 {"auth", "RATE_LIMIT_AUTH", "100/s burst 200"},
                                                 {"login", "RATE_LIMIT_LOGIN", "20/s burst 100"},
                                                 {"register", "RATE_LIMIT_REGISTER", "20/s burst 100"},
                                                 {"user", "RATE_LIMIT_USER", "1000/s burst 2000"}};
  return all;
}

namespace {

std::string default_consumer_group() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "host");
  return "gateway-" + std::string(host) + "-" + std::to_string(getpid());
}

std::size_t size_var(core::EnvReader& env, const char* name, std::size_t fallback, std::int64_t min, std::int64_t max) {
  return static_cast<std::size_t>(env.integer(name, static_cast<std::int64_t>(fallback), min, max));
}

}  // namespace

bool parse_upstream_urls(const std::string& text, std::vector<UpstreamAddress>& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string_view url(text.data() + start, comma - start);
    start = comma + 1;
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ') url.remove_suffix(1);
    if (url.empty()) continue;
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) return false;
    url.remove_prefix(scheme.size());
    if (!url.empty() && url.back() == '/') url.remove_suffix(1);
    auto colon = url.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    unsigned port = 0;
    auto port_text = url.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) return false;
    out.push_back({std::string(url.substr(0, colon)), static_cast<std::uint16_t>(port)});
  }
  return true;
}

GatewayConfig GatewayConfig::from_env(core::EnvReader& env) {
  GatewayConfig c;
  c.host = env.str("HTTP_HOST", c.host);
  c.port = static_cast<std::uint16_t>(env.integer("HTTP_PORT", c.port, 0, 65535));
  c.admin_host = env.str("GATEWAY_ADMIN_HOST", c.admin_host);
  c.admin_port = static_cast<std::uint16_t>(env.integer("GATEWAY_ADMIN_PORT", c.admin_port, 0, 65535));
  c.io_threads = static_cast<int>(env.integer("HTTP_IO_THREADS", c.io_threads, 1, 64));
  c.kafka_brokers = env.str("KAFKA_BROKERS", "127.0.0.1:9092");
  c.log_level = env.str("LOG_LEVEL", c.log_level);
  c.log_flush = env.millis("LOG_FLUSH_MS", c.log_flush, std::chrono::milliseconds{0}, std::chrono::seconds{10});
  c.routes_file = env.str("GATEWAY_ROUTES_FILE", "");
  c.header_timeout = env.millis("HTTP_HEADER_TIMEOUT_MS", c.header_timeout);
  c.body_timeout = env.millis("HTTP_BODY_TIMEOUT_MS", c.body_timeout);
  c.idle_timeout = env.millis("HTTP_IDLE_TIMEOUT_MS", c.idle_timeout);
  c.connect_timeout = env.millis("UPSTREAM_CONNECT_TIMEOUT_MS", c.connect_timeout);
  c.eject_for = env.millis("UPSTREAM_EJECT_MS", c.eject_for);
  c.upstream_idle_timeout = env.millis("UPSTREAM_IDLE_TIMEOUT_MS", c.upstream_idle_timeout);
  c.shutdown_grace = env.millis("SHUTDOWN_GRACE_MS", c.shutdown_grace, std::chrono::milliseconds{0});
  c.health_timeout = env.millis("HEALTH_TIMEOUT_MS", c.health_timeout);
  c.max_connections = size_var(env, "GATEWAY_MAX_CONNECTIONS", c.max_connections, 1, 1'000'000);
  c.max_connections_per_address =
      size_var(env, "GATEWAY_MAX_CONNECTIONS_PER_ADDRESS", c.max_connections_per_address, 1, 1'000'000);
  c.max_idle_upstream = size_var(env, "UPSTREAM_MAX_IDLE", c.max_idle_upstream, 0, 10'000);

  c.jwt_issuer = env.str("JWT_ISSUER", c.jwt_issuer);
  c.jwt_audience = env.str("JWT_AUDIENCE", c.jwt_audience);
  c.jwt_leeway = std::chrono::seconds(env.integer("JWT_LEEWAY_S", c.jwt_leeway.count(), 0, 600));
  c.jwt_max_token_bytes = size_var(env, "JWT_MAX_TOKEN_BYTES", c.jwt_max_token_bytes, 256, 64 * 1024);
  c.jwks_refresh = env.millis("JWKS_REFRESH_MS", c.jwks_refresh, std::chrono::milliseconds{1000});
  c.jwks_refetch_min_interval = env.millis("JWKS_REFETCH_MIN_INTERVAL_MS", c.jwks_refetch_min_interval);
  c.jwks_wait =
      env.millis("JWKS_WAIT_MS", c.jwks_wait, std::chrono::milliseconds{0}, std::chrono::milliseconds{30'000});
  c.token_cache_size = size_var(env, "GATEWAY_TOKEN_CACHE_SIZE", c.token_cache_size, 0, 10'000'000);

  c.events_enabled = env.flag("GATEWAY_EVENTS", c.events_enabled);
  c.consumer_group = env.str("GATEWAY_CONSUMER_GROUP", default_consumer_group());
  c.identity_topic = env.str("GATEWAY_IDENTITY_TOPIC", c.identity_topic);
  c.cache_topics = env.list("GATEWAY_CACHE_TOPICS", "catalog.events,stock.events");
  c.access_ttl = std::chrono::seconds(env.integer("JWT_ACCESS_TTL_SECONDS", c.access_ttl.count(), 30, 24 * 3600));
  c.revocation_retention = c.access_ttl + c.jwt_leeway;
  c.revocation_max_lag = env.millis("GATEWAY_REVOCATION_MAX_LAG_MS", c.revocation_max_lag,
                                    std::chrono::milliseconds{100}, std::chrono::milliseconds{60'000});
  c.session_check_ttl = env.millis("GATEWAY_SESSION_CHECK_TTL_MS", c.session_check_ttl, std::chrono::milliseconds{0},
                                   std::chrono::milliseconds{60'000});

  for (const auto& rc : rate_class_defaults()) {
    const std::string text = env.str(rc.variable, rc.fallback);
    auto spec = RateSpec::parse(text);
    if (!spec) {
      env.fail(rc.variable, "must look like \"100/s burst 200\", \"5/m\" or \"off\", got '" + text + "'");
      spec = RateSpec{};
    }
    c.rate_classes.emplace_back(rc.name, *spec);
  }
  c.rate_limit_max_keys = size_var(env, "RATE_LIMIT_MAX_KEYS", c.rate_limit_max_keys, 16, 100'000'000);

  c.cache_ttl = env.millis("CACHE_TTL_MS", c.cache_ttl, std::chrono::milliseconds{0});
  c.cache_max_entries = size_var(env, "CACHE_MAX_ENTRIES", c.cache_max_entries, 0, 10'000'000);
  c.cache_max_bytes = size_var(env, "CACHE_MAX_BYTES", c.cache_max_bytes, 0, std::int64_t{1} << 40);
  c.cache_max_entry_bytes = size_var(env, "CACHE_MAX_ENTRY_BYTES", c.cache_max_entry_bytes, 0, std::int64_t{1} << 32);

  c.cors_origins = env.list("CORS_ALLOWED_ORIGINS", "*");
  c.cors_max_age = std::chrono::seconds(env.integer("CORS_MAX_AGE_S", c.cors_max_age.count(), 0, 86'400));
  c.swagger_ui_dir = env.str("SWAGGER_UI_DIR",
                             env.str("SHOPMESH_CACHE_DIR", "var/cache") + "/swagger-ui/node_modules/swagger-ui-dist");
  c.openapi_file = env.str("OPENAPI_FILE", c.openapi_file);
  c.metrics_token = env.str("METRICS_TOKEN", "");
  c.mesh_scrape_interval = env.millis("GATEWAY_MESH_SCRAPE_MS", c.mesh_scrape_interval, std::chrono::milliseconds{0},
                                      std::chrono::milliseconds{60'000});
  c.mesh_keys = core::mesh_keys_from_env(env);
  std::uint16_t default_port = 8081;
  for (const auto& [service, var] : known_services()) {
    std::string fallback = "http://127.0.0.1:" + std::to_string(default_port++);
    std::string text = env.str(var.c_str(), fallback);
    std::vector<UpstreamAddress> instances;
    if (!parse_upstream_urls(text, instances) || instances.empty())
      env.fail(var.c_str(), "must be a comma-separated list of http://host:port URLs, got '" + text + "'");
    c.upstreams[service] = std::move(instances);
  }
  const std::string jwks = env.str("JWKS_URL", "");
  if (!jwks.empty()) {
    c.jwks_urls.push_back(jwks);
  } else {
    for (const auto& a : c.upstreams["auth"])
      c.jwks_urls.push_back("http://" + a.host + ":" + std::to_string(a.port) + "/api/auth/jwks.json");
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
    env.fail("LOG_LEVEL", "must be one of debug, info, warn, error");
  return c;
}

}  // namespace shopmesh::gateway
