#include "config.hpp"

#include <charconv>

namespace shopmesh::gateway {

const std::vector<std::pair<std::string, std::string>>& known_services() {
  static const std::vector<std::pair<std::string, std::string>> all{
      {"auth", "AUTH_URL"},         {"users", "USERS_URL"},       {"products", "PRODUCTS_URL"},
      {"cart", "CART_URL"},         {"orders", "ORDERS_URL"},     {"stock", "STOCK_URL"},
      {"shipping", "SHIPPING_URL"}, {"notification", "NOTIFICATION_URL"}};
  return all;
}

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
  c.io_threads = static_cast<int>(env.integer("HTTP_IO_THREADS", c.io_threads, 1, 64));
  c.kafka_brokers = env.str("KAFKA_BROKERS", "127.0.0.1:9092");
  c.log_level = env.str("LOG_LEVEL", c.log_level);
  c.routes_file = env.str("GATEWAY_ROUTES_FILE", "");
  c.header_timeout = env.millis("HTTP_HEADER_TIMEOUT_MS", c.header_timeout);
  c.idle_timeout = env.millis("HTTP_IDLE_TIMEOUT_MS", c.idle_timeout);
  c.connect_timeout = env.millis("UPSTREAM_CONNECT_TIMEOUT_MS", c.connect_timeout);
  c.eject_for = env.millis("UPSTREAM_EJECT_MS", c.eject_for);
  c.shutdown_grace = env.millis("SHUTDOWN_GRACE_MS", c.shutdown_grace, std::chrono::milliseconds{0});
  c.health_timeout = env.millis("HEALTH_TIMEOUT_MS", c.health_timeout);
  c.max_connections = static_cast<std::size_t>(env.integer("GATEWAY_MAX_CONNECTIONS", 10'000, 1, 1'000'000));
  c.max_idle_upstream = static_cast<std::size_t>(env.integer("UPSTREAM_MAX_IDLE", 64, 0, 10'000));
  std::uint16_t default_port = 8081;
  for (const auto& [service, var] : known_services()) {
    std::string fallback = "http://127.0.0.1:" + std::to_string(default_port++);
    std::string text = env.str(var.c_str(), fallback);
    std::vector<UpstreamAddress> instances;
    if (!parse_upstream_urls(text, instances) || instances.empty())
      env.fail(var.c_str(), "must be a comma-separated list of http://host:port URLs, got '" + text + "'");
    c.upstreams[service] = std::move(instances);
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
    env.fail("LOG_LEVEL", "must be one of debug, info, warn, error");
  return c;
}

}  // namespace shopmesh::gateway
