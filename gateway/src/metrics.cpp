#include "shopmesh/gateway/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace shopmesh::gateway {
namespace {

constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"};
constexpr std::string_view kUpstreamCodes[] = {"2xx", "3xx", "4xx", "5xx", "error"};

std::size_t upstream_code_id(int status) {
  return status >= 200 && status < 600 ? static_cast<std::size_t>(status / 100 - 2) : 4;
}

const prometheus::Histogram::BucketBoundaries& buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

}  // namespace

std::vector<std::string> route_metric_labels(const std::vector<std::string>& route_patterns) {
  std::vector<std::string> labels = route_patterns;
  for (const char* b :
       {"/api/health", "/health", "/metrics", "/api/docs", "/api/openapi.yaml", "preflight", "/", "/mesh.json", "none"})
    labels.emplace_back(b);
  return labels;
}

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry, const std::vector<std::string>& route_labels,
                               const std::vector<std::string>& services, const std::vector<std::string>& rate_classes,
                               const std::vector<std::vector<std::string>>& instances)
    : route_labels_(route_labels),
      requests_(prometheus::BuildCounter()
                    .Name("gateway_requests_total")
                    .Help("Requests answered by the gateway, by route, method and status")
                    .Register(registry)),
      auth_failures_(prometheus::BuildCounter()
                         .Name("gateway_auth_failures_total")
                         .Help("Requests with a bearer token that was refused, by reason")
                         .Register(registry)) {
  auto& latency = prometheus::BuildHistogram()
                      .Name("gateway_request_duration_seconds")
                      .Help("Time from request headers read to response written, by route")
                      .Register(registry);
  for (const auto& label : route_labels_) latency_.push_back(&latency.Add({{"route", label}}, buckets()));

  auto& upstream = prometheus::BuildCounter()
                       .Name("gateway_upstream_errors_total")
                       .Help("Upstream failures by service and kind")
                       .Register(registry);
  for (const auto& s : services)
    upstream_errors_.push_back(
        {&upstream.Add({{"service", s}, {"kind", "connect"}}), &upstream.Add({{"service", s}, {"kind", "timeout"}}),
         &upstream.Add({{"service", s}, {"kind", "unavailable"}}), &upstream.Add({{"service", s}, {"kind", "io"}})});

  auto& upstream_requests = prometheus::BuildCounter()
                                .Name("gateway_upstream_requests_total")
                                .Help("Requests proxied to a service, by service and answer class (code=2xx|3xx|4xx|"
                                      "5xx, or error: no answer)")
                                .Register(registry);
  auto& upstream_latency = prometheus::BuildHistogram()
                               .Name("gateway_upstream_request_duration_seconds")
                               .Help("Round trip of a proxied request from the gateway to a service, by service")
                               .Register(registry);
  auto& upstream_up = prometheus::BuildGauge()
                          .Name("gateway_upstream_up")
                          .Help("1 while an instance of a service answers the gateway's pool, 0 while it refuses "
                                "connections or fails its probe, by service and instance (host:port)")
                          .Register(registry);
  for (std::size_t i = 0; i < services.size(); ++i) {
    const auto& s = services[i];
    auto& codes = upstream_requests_.emplace_back();
    for (std::size_t c = 0; c < codes.size(); ++c)
      codes[c] = &upstream_requests.Add({{"service", s}, {"code", std::string(kUpstreamCodes[c])}});
    upstream_latency_.push_back(&upstream_latency.Add({{"service", s}}, buckets()));
    auto& up = upstream_up_.emplace_back();
    if (i < instances.size())
      for (const auto& instance : instances[i]) {
        up.push_back(&upstream_up.Add({{"service", s}, {"instance", instance}}));
        up.back()->Set(1);  // until the pool or its probe finds otherwise
      }
  }

  auto& cache = prometheus::BuildCounter()
                    .Name("gateway_cache_requests_total")
                    .Help("Response cache lookups and stores (result=hit|miss|store)")
                    .Register(registry);
  cache_ = {&cache.Add({{"result", "hit"}}), &cache.Add({{"result", "miss"}}), &cache.Add({{"result", "store"}})};
  cache_invalidations_ = &prometheus::BuildCounter()
                              .Name("gateway_cache_invalidations_total")
                              .Help("Times the response cache was cleared (catalog events, local writes)")
                              .Register(registry)
                              .Add({});

  auto& limited = prometheus::BuildCounter()
                      .Name("gateway_rate_limited_total")
                      .Help("Requests answered 429, by rate-limit class")
                      .Register(registry);
  for (const auto& c : rate_classes) rate_limited_.push_back(&limited.Add({{"class", c}}));

  open_connections_ = &prometheus::BuildGauge()
                           .Name("gateway_open_connections")
                           .Help("Client connections currently open")
                           .Register(registry)
                           .Add({});
  refused_connections_ = &prometheus::BuildCounter()
                              .Name("gateway_refused_connections_total")
                              .Help("Client connections closed at once because the connection cap was reached")
                              .Register(registry)
                              .Add({});
  session_checks_ = &prometheus::BuildCounter()
                         .Name("gateway_session_checks_total")
                         .Help("Tokens checked with auth because the revocation feed was stale or not loaded")
                         .Register(registry)
                         .Add({});
  revocations_ = &prometheus::BuildGauge()
                      .Name("gateway_revocations_active")
                      .Help("Session revocations currently remembered")
                      .Register(registry)
                      .Add({});
}

GatewayMetrics::~GatewayMetrics() = default;

std::size_t GatewayMetrics::method_id(std::string_view method) {
  for (std::size_t i = 0; i + 1 < std::size(kMethods); ++i)
    if (kMethods[i] == method) return i;
  return std::size(kMethods) - 1;
}

void GatewayMetrics::request(std::size_t route_id, std::string_view method, int status, double seconds) {
  if (route_id >= route_labels_.size()) route_id = route_labels_.size() - 1;
  if (status < 0 || status > 999) status = 0;
  const std::size_t m = method_id(method);
  const std::uint64_t key =
      (static_cast<std::uint64_t>(route_id) << 16) | (m << 10) | static_cast<std::uint64_t>(status);
  auto& shard = shards_[key % shards_.size()];
  prometheus::Counter* counter = nullptr;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.counters.find(key);
    if (it != shard.counters.end()) counter = it->second;
  }
  if (counter == nullptr) {
    // First time for this combination: Family::Add (its own lock), then remembered.
    counter = &requests_.Add(
        {{"route", route_labels_[route_id]}, {"method", std::string(kMethods[m])}, {"status", std::to_string(status)}});
    std::lock_guard lock(shard.mutex);
    shard.counters.emplace(key, counter);
  }
  counter->Increment();
  latency_[route_id]->Observe(seconds);
}

void GatewayMetrics::upstream_error(std::size_t service_id, UpstreamError kind) {
  if (service_id < upstream_errors_.size()) upstream_errors_[service_id][static_cast<std::size_t>(kind)]->Increment();
}

std::string_view GatewayMetrics::upstream_code(int status) {
  return kUpstreamCodes[upstream_code_id(status)];
}

void GatewayMetrics::upstream_response(std::size_t service_id, int status, double seconds) {
  if (service_id >= upstream_requests_.size()) return;
  upstream_requests_[service_id][upstream_code_id(status)]->Increment();
  upstream_latency_[service_id]->Observe(seconds);
}

prometheus::Gauge* GatewayMetrics::upstream_up(std::size_t service_id, std::size_t instance) const {
  if (service_id >= upstream_up_.size() || instance >= upstream_up_[service_id].size()) return nullptr;
  return upstream_up_[service_id][instance];
}

void GatewayMetrics::cache(CacheResult r) {
  cache_[static_cast<std::size_t>(r)]->Increment();
}
void GatewayMetrics::cache_invalidated() {
  cache_invalidations_->Increment();
}

void GatewayMetrics::rate_limited(std::size_t class_id) {
  if (class_id < rate_limited_.size()) rate_limited_[class_id]->Increment();
}

void GatewayMetrics::auth_failure(std::string_view reason) {
  std::lock_guard lock(auth_mutex_);
  auto it = auth_counters_.find(std::string(reason));
  if (it == auth_counters_.end())
    it = auth_counters_.emplace(std::string(reason), &auth_failures_.Add({{"reason", std::string(reason)}})).first;
  it->second->Increment();
}

void GatewayMetrics::connection_opened() {
  open_connections_->Increment();
}
void GatewayMetrics::connection_closed() {
  open_connections_->Decrement();
}
void GatewayMetrics::connection_refused() {
  refused_connections_->Increment();
}
void GatewayMetrics::revocations(std::size_t active) {
  revocations_->Set(static_cast<double>(active));
}

void GatewayMetrics::session_check() {
  session_checks_->Increment();
}

}  // namespace shopmesh::gateway
