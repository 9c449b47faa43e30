// The gateway's upstream series (issue #22): bounded label sets, made at start-up.
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>

#include "shopmesh/gateway/metrics.hpp"

using namespace shopmesh::gateway;

namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

}  // namespace

TEST_CASE("gateway metrics: an upstream answer's code class, error when none came", "[gateway][metrics]") {
  CHECK(GatewayMetrics::upstream_code(200) == "2xx");
  CHECK(GatewayMetrics::upstream_code(204) == "2xx");
  CHECK(GatewayMetrics::upstream_code(304) == "3xx");
  CHECK(GatewayMetrics::upstream_code(404) == "4xx");
  CHECK(GatewayMetrics::upstream_code(503) == "5xx");
  CHECK(GatewayMetrics::upstream_code(599) == "5xx");
  CHECK(GatewayMetrics::upstream_code(0) == "error");
  CHECK(GatewayMetrics::upstream_code(101) == "error");
  CHECK(GatewayMetrics::upstream_code(600) == "error");
}

TEST_CASE("gateway metrics: upstream requests, round trips and instance health per service", "[gateway][metrics]") {
  prometheus::Registry registry;
  GatewayMetrics m(registry, route_metric_labels({"/api/orders"}), {"orders", "products"}, {"default"},
                   {{"127.0.0.1:8085", "127.0.0.1:8185"}, {"127.0.0.1:8083"}});
  m.upstream_response(0, 201, 0.003);
  m.upstream_response(0, 503, 0.002);
  m.upstream_response(0, 0, 5.0);
  m.upstream_response(1, 200, 0.001);
  m.upstream_response(7, 200, 0.001);  // no such service: ignored
  REQUIRE(m.upstream_up(0, 1) != nullptr);
  CHECK(m.upstream_up(0, 2) == nullptr);
  CHECK(m.upstream_up(2, 0) == nullptr);
  m.upstream_up(0, 1)->Set(0);

  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(has(text, "gateway_upstream_requests_total{code=\"2xx\",service=\"orders\"} 1"));
  CHECK(has(text, "gateway_upstream_requests_total{code=\"5xx\",service=\"orders\"} 1"));
  CHECK(has(text, "gateway_upstream_requests_total{code=\"error\",service=\"orders\"} 1"));
  CHECK(has(text, "gateway_upstream_requests_total{code=\"4xx\",service=\"orders\"} 0"));
  CHECK(has(text, "gateway_upstream_requests_total{code=\"2xx\",service=\"products\"} 1"));
  CHECK(has(text, "gateway_upstream_request_duration_seconds_count{service=\"orders\"} 3"));
  CHECK(has(text, "gateway_upstream_request_duration_seconds_bucket{service=\"orders\",le=\"0.005\"} 2"));
  CHECK(has(text, "gateway_upstream_up{instance=\"127.0.0.1:8085\",service=\"orders\"} 1"));
  CHECK(has(text, "gateway_upstream_up{instance=\"127.0.0.1:8185\",service=\"orders\"} 0"));
  CHECK(has(text, "gateway_upstream_up{instance=\"127.0.0.1:8083\",service=\"products\"} 1"));
}
