#pragma once
// The gateway's Prometheus metrics with every label set resolved once: per-route histograms are
// made at start-up, and request counters are looked up by a small integer key (route, method,
// status) in a sharded map, so the hot path never builds a label map or calls Family::Add.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace shopmesh::gateway {

/// Endpoints the gateway answers itself; their metric route ids follow the configured routes'.
enum class BuiltinRoute : std::size_t {
  api_health, health, metrics, docs, openapi, preflight, mesh_page, mesh_json, none
};
inline constexpr std::size_t kBuiltinRouteCount = 9;
/// Route labels by route id: the configured patterns, then the built-in endpoints.
std::vector<std::string> route_metric_labels(const std::vector<std::string>& route_patterns);
inline std::size_t builtin_route_id(std::size_t route_count, BuiltinRoute b) {
  return route_count + static_cast<std::size_t>(b);
}

class GatewayMetrics {
 public:
  enum class UpstreamError { connect, timeout, unavailable, io };
  enum class CacheResult { hit, miss, store };

  /// `route_labels`: one per route id (routes first, then built-in endpoints, then "none").
  /// `instances`: per service (in `services`' order), its instances' "host:port".
  GatewayMetrics(prometheus::Registry& registry, const std::vector<std::string>& route_labels,
                 const std::vector<std::string>& services, const std::vector<std::string>& rate_classes,
                 const std::vector<std::vector<std::string>>& instances = {});
  ~GatewayMetrics();

  void request(std::size_t route_id, std::string_view method, int status, double seconds);
  void upstream_error(std::size_t service_id, UpstreamError kind);
  /// One proxied request's round trip to a service: `status` its answer's, 0 when none came.
  void upstream_response(std::size_t service_id, int status, double seconds);
  /// The `gateway_upstream_up` gauge of a service's instance; nullptr when unknown.
  prometheus::Gauge* upstream_up(std::size_t service_id, std::size_t instance) const;
  /// The `code` label of an upstream answer: 2xx, 3xx, 4xx, 5xx, or error (no answer).
  static std::string_view upstream_code(int status);
  void cache(CacheResult r);
  void cache_invalidated();
  void rate_limited(std::size_t class_id);
  void auth_failure(std::string_view reason);
  void connection_opened();
  void connection_closed();
  void connection_refused();
  void revocations(std::size_t active);
  void session_check();

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, prometheus::Counter*> counters;
  };
  static std::size_t method_id(std::string_view method);

  std::vector<std::string> route_labels_;
  prometheus::Family<prometheus::Counter>& requests_;
  std::vector<prometheus::Histogram*> latency_;
  std::vector<std::array<prometheus::Counter*, 4>> upstream_errors_;
  std::vector<std::array<prometheus::Counter*, 5>> upstream_requests_;  // by upstream_code's position
  std::vector<prometheus::Histogram*> upstream_latency_;
  std::vector<std::vector<prometheus::Gauge*>> upstream_up_;
  std::array<prometheus::Counter*, 3> cache_;
  prometheus::Counter* cache_invalidations_;
  std::vector<prometheus::Counter*> rate_limited_;
  prometheus::Family<prometheus::Counter>& auth_failures_;
  std::mutex auth_mutex_;
  std::unordered_map<std::string, prometheus::Counter*> auth_counters_;
  prometheus::Gauge* open_connections_;
  prometheus::Counter* refused_connections_;
  prometheus::Gauge* revocations_;
  prometheus::Counter* session_checks_;
  std::array<Shard, 8> shards_;
};

}  // namespace shopmesh::gateway
