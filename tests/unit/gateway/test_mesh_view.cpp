// The mesh view's arithmetic (gateway/src/prometheus_text.cpp, mesh_view.cpp): the Prometheus
// text the components serve, counter increases across resets, p99 from bucket deltas, and the
// mesh.json built from two scrapes (rates over the interval, "null" for series nobody exports).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "shopmesh/gateway/mesh_view.hpp"
#include "shopmesh/gateway/prometheus_text.hpp"

using namespace shopmesh::gateway;
using namespace std::chrono_literals;

TEST_CASE("mesh view: the exposition format is parsed, labels sorted and unescaped", "[gateway][mesh]") {
  const auto s = prom::parse(
      "# HELP http_requests_total HTTP requests\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{route=\"/api/orders\",method=\"POST\",status=\"201\"} 12\n"
      "http_requests_total{status=\"500\",route=\"/api/orders\",method=\"POST\"} 3 1700000000000\n"
      "weird{msg=\"a \\\"quoted\\\" \\\\ path\\nline\"} 1.5e3\n"
      "up 1\n"
      "inf_bucket{le=\"+Inf\"} +Inf\n"
      "broken{le=\"1\" 4\n"
      "no_value{a=\"b\"}\n");
  REQUIRE(s.samples.size() == 5);
  CHECK(s.bad_lines == 2);
  CHECK(s.samples[0].labels.front().first == "method");  // sorted by name
  CHECK(*s.samples[1].label("status") == "500");
  CHECK(s.samples[1].value == 3);  // the timestamp is not the value
  CHECK(*s.samples[2].label("msg") == "a \"quoted\" \\ path\nline");
  CHECK(s.samples[2].value == 1500);
  CHECK(s.samples[3].labels.empty());
  CHECK(std::isinf(s.samples[4].value));
  CHECK(prom::sum(s, "http_requests_total") == 15);
  CHECK(prom::sum(s, "http_requests_total", {{"status", "5*"}}) == 3);
  CHECK(prom::sum(s, "http_requests_total", {{"status", "!500"}}) == 12);
  CHECK_FALSE(prom::sum(s, "http_requests_total", {{"status", "404"}}).has_value());
  CHECK_FALSE(prom::sum(s, "absent_total").has_value());
}

TEST_CASE("mesh view: a counter's increase survives a reset and a series born in between", "[gateway][mesh]") {
  const auto before = prom::parse("c_total{k=\"a\"} 100\nc_total{k=\"b\"} 50\n");
  const auto after = prom::parse("c_total{k=\"a\"} 130\nc_total{k=\"b\"} 7\nc_total{k=\"c\"} 4\n");
  // a: +30; b restarted: its 7 counts; c is new: its 4 counts.
  CHECK(prom::increase(before, after, "c_total") == 41);
  CHECK(prom::increase(before, after, "c_total", {{"k", "a"}}) == 30);
  CHECK_FALSE(prom::increase(before, after, "other_total").has_value());
}

TEST_CASE("mesh view: p99 comes from the bucket deltas of the interval, not from all time", "[gateway][mesh]") {
  // Before: 1000 fast requests. In the interval: 100 more, 10 of them between 0.1 and 0.25 s.
  const auto before = prom::parse(
      "d_bucket{le=\"0.01\"} 1000\nd_bucket{le=\"0.1\"} 1000\nd_bucket{le=\"0.25\"} 1000\n"
      "d_bucket{le=\"+Inf\"} 1000\n");
  const auto after = prom::parse(
      "d_bucket{le=\"0.01\"} 1080\nd_bucket{le=\"0.1\"} 1090\nd_bucket{le=\"0.25\"} 1100\n"
      "d_bucket{le=\"+Inf\"} 1100\n");
  const auto b = prom::bucket_increase(before, after, "d");
  REQUIRE(b);
  REQUIRE(b->size() == 4);
  CHECK((*b)[0] == std::pair<double, double>{0.01, 80});
  // rank 99 of 100 falls in (0.1, 0.25], 9 of its 10: 0.1 + 0.15 * 0.9.
  CHECK(prom::quantile(0.99, *b).value() == Approx(0.235));
  CHECK(prom::quantile(0.5, *b).value() == Approx(0.01 * 50 / 80));
  // Over all time the p99 would be under 0.1 s: the interval is what the page shows.
  CHECK(prom::quantile(0.99, *prom::bucket_increase(prom::Scrape{}, after, "d")).value() < 0.1);
  // Nothing observed in the interval: no p99 (drawn as a dash), not 0.
  CHECK_FALSE(prom::quantile(0.99, *prom::bucket_increase(after, after, "d")).has_value());
  // Everything above the last finite bound: its bound is the answer, as histogram_quantile says.
  const auto slow = prom::parse("x_bucket{le=\"1\"} 0\nx_bucket{le=\"+Inf\"} 5\n");
  CHECK(prom::quantile(0.99, *prom::bucket_increase(prom::Scrape{}, slow, "x")).value() == 1);
  prom::Buckets sum{{0.1, 1}, {HUGE_VAL, 2}};
  prom::add_buckets(sum, {{0.1, 3}, {HUGE_VAL, 4}});
  CHECK(sum == prom::Buckets{{0.1, 4}, {HUGE_VAL, 6}});
}

namespace {

MeshTopology topology() {
  MeshTopology t;
  t.services = {{"orders", {"127.0.0.1:8085", "127.0.0.1:9085"}}, {"stock", {"127.0.0.1:8086"}}};
  t.catalogue = shopmesh::events::TopicCatalogue::parse(
      R"({"topics":[{"name":"order.events","partitions":6,"producers":["orders"]},
                    {"name":"stock.events","partitions":6,"producers":["stock"]}],
          "consumers":[{"group":"stock","topics":["order.events"]},{"group":"orders","topics":["stock.events"]}],
          "dlq":{"partitions":1}})");
  return t;
}

InstanceScrape instance(std::string service, std::string address, std::string text) {
  return {std::move(service), std::move(address), true, {}, prom::parse(text)};
}

const rapidjson::Value& find(const rapidjson::Value& array, const char* key, const char* name) {
  for (const auto& v : array.GetArray())
    if (v[key] == name) return v;
  FAIL("no " << name);
  throw;
}

}  // namespace

TEST_CASE("mesh view: mesh.json turns two scrapes into rates, ratios, p99s, lags and DLQs", "[gateway][mesh]") {
  const auto t = topology();
  MeshScrape before, after;
  before.at = std::chrono::system_clock::time_point(1'700'000'000s);
  after.at = before.at + 2s;
  const std::string orders_before =
      "http_requests_total{route=\"/api/orders\",method=\"POST\",status=\"201\"} 100\n"
      "http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"} 40\n"
      "http_request_duration_seconds_bucket{route=\"/api/orders\",le=\"0.01\"} 100\n"
      "http_request_duration_seconds_bucket{route=\"/api/orders\",le=\"+Inf\"} 100\n"
      "outbox_published_total 10\noutbox_relay_active 1\noutbox_pending 0\n";
  const std::string orders_after =
      "http_requests_total{route=\"/api/orders\",method=\"POST\",status=\"201\"} 118\n"
      "http_requests_total{route=\"/api/orders\",method=\"POST\",status=\"503\"} 2\n"
      "http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"} 41\n"
      "http_request_duration_seconds_bucket{route=\"/api/orders\",le=\"0.01\"} 118\n"
      "http_request_duration_seconds_bucket{route=\"/api/orders\",le=\"+Inf\"} 120\n"
      "outbox_published_total 30\noutbox_relay_active 1\noutbox_pending 2\n"
      "events_consumed_total{group=\"orders\",type=\"STOCK_RESERVED\",outcome=\"applied\"} 16\n";
  before.instances = {
      instance("orders", "127.0.0.1:8085", orders_before),
      instance("stock", "127.0.0.1:8086",
               "events_consumed_total{group=\"stock\",type=\"ORDER_CREATED\",outcome=\"applied\"} 5\n")};
  after.instances = {
      instance("orders", "127.0.0.1:8085", orders_after),
      {"orders", "127.0.0.1:9085", false, "connect: Connection refused", {}},
      instance("stock", "127.0.0.1:8086",
               "events_consumed_total{group=\"stock\",topic=\"order.events\",type=\"ORDER_CREATED\","
               "outcome=\"applied\"} 25\nconsumer_lag_messages{group=\"stock\",topic=\"order.events\"} 7\n"
               "consumer_lag_seconds{group=\"stock\",topic=\"order.events\"} 0.5\n")};
  after.gateway = prom::parse(
      "gateway_requests_total{route=\"/api/orders\",method=\"POST\",status=\"201\"} 20\n"
      "gateway_requests_total{route=\"/mesh.json\",method=\"GET\",status=\"200\"} 9\n"
      // The contract's upstream series (issue #22): the gateway's side of the stock edge.
      "gateway_upstream_requests_total{service=\"stock\",code=\"2xx\"} 9\n"
      "gateway_upstream_requests_total{service=\"stock\",code=\"5xx\"} 2\n"
      "gateway_upstream_requests_total{service=\"stock\",code=\"error\"} 1\n"
      "gateway_upstream_request_duration_seconds_bucket{service=\"stock\",le=\"0.05\"} 12\n"
      "gateway_upstream_request_duration_seconds_bucket{service=\"stock\",le=\"+Inf\"} 12\n"
      "gateway_upstream_up{service=\"orders\",instance=\"127.0.0.1:8085\"} 1\n"
      "gateway_upstream_up{service=\"orders\",instance=\"127.0.0.1:9085\"} 0\n");
  shopmesh::events::NewestMessage dead{0, 3, 1'700'000'001'000, {{"dlq-error-class", "decode"},
                                                                  {"dlq-error-message", "not JSON"},
                                                                  {"dlq-failed-at", "2023-11-14T22:13:21.000000Z"}}};
  after.dlqs = {{"order.events.stock.dlq", true, {}, {4, dead}},
                {"stock.events.orders.dlq", false, "watermarks: Local: Timed out", {}}};

  rapidjson::Document first;
  first.Parse(mesh_json(t, nullptr, before).c_str());
  REQUIRE_FALSE(first.HasParseError());
  CHECK(first["intervalSeconds"].IsNull());
  // Idle but exporting: 0/s, with no ratio or p99; a service exporting nothing: null.
  // A consumer that has applied nothing yet has its retry series (made at start), not the applied one.
  const auto idle = prom::parse(
      "http_requests_total{route=\"/metrics\",status=\"200\"} 5\n"
      "consumer_retries_total{group=\"orders\",topic=\"stock.events\"} 0\n");
  MeshScrape quiet_before, quiet_after;
  quiet_before.at = before.at;
  quiet_after.at = before.at + 2s;
  quiet_before.instances = {{"orders", "127.0.0.1:8085", true, {}, idle}};
  quiet_after.instances = {{"orders", "127.0.0.1:8085", true, {}, idle}, {"stock", "127.0.0.1:8086", true, {}, {}}};
  rapidjson::Document quiet;
  quiet.Parse(mesh_json(t, &quiet_before, quiet_after).c_str());
  const auto& served = find(quiet["services"], "name", "orders")["instances"][0]["served"];
  CHECK(served["requestsPerSecond"].GetDouble() == 0);
  CHECK(served["errorRatio"].IsNull());
  CHECK(served["p99Seconds"].IsNull());
  CHECK(find(quiet["services"], "name", "stock")["instances"][0]["served"]["requestsPerSecond"].IsNull());
  // A gateway without the upstream series (before issue #22's metrics): a dash, not 0.
  CHECK(find(quiet["services"], "name", "orders")["upstream"]["requestsPerSecond"].IsNull());
  CHECK(find(quiet["services"], "name", "orders")["instances"][0]["up"].IsNull());
  CHECK(find(first["services"], "name", "orders")["instances"][0]["served"]["requestsPerSecond"].IsNull());
  CHECK(find(quiet["groups"], "group", "orders")["appliedPerSecond"].GetDouble() == 0);
  CHECK(find(quiet["groups"], "group", "orders")["topics"][0]["appliedPerSecond"].GetDouble() == 0);
  CHECK(find(quiet["groups"], "group", "stock")["appliedPerSecond"].IsNull());

  rapidjson::Document doc;
  doc.Parse(mesh_json(t, &before, after).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(doc["intervalSeconds"].GetDouble() == 2);
  // The gateway's own figures leave its admin routes out (the page polling /mesh.json).
  CHECK(doc["gateway"]["requestsPerSecond"].GetDouble() == 10);
  CHECK(doc["gateway"]["errorRatio"].GetDouble() == 0);

  const auto& orders = find(doc["services"], "name", "orders");
  // The gateway exports the upstream counter but sent orders nothing in the interval: 0/s, no ratio.
  CHECK(orders["upstream"]["requestsPerSecond"].GetDouble() == 0);
  CHECK(orders["upstream"]["errorRatio"].IsNull());
  const auto& up = orders["instances"][0];
  CHECK(up["scraped"].GetBool());
  CHECK(up["served"]["requestsPerSecond"].GetDouble() == 10);  // 20 in 2 s; /metrics left out
  CHECK(up["served"]["errorRatio"].GetDouble() == Approx(0.1));
  // 2 of 20 were slower than the last finite bound (10 ms): that bound, as histogram_quantile answers.
  CHECK(up["served"]["p99Seconds"].GetDouble() == 0.01);
  CHECK(up["relayActive"].GetBool());
  const auto& down = orders["instances"][1];
  CHECK_FALSE(down["scraped"].GetBool());
  CHECK(std::string(down["scrapeError"].GetString()).find("refused") != std::string::npos);
  CHECK(orders["outbox"]["activeInstance"] == "127.0.0.1:8085");
  CHECK(orders["outbox"]["pending"].GetDouble() == 2);
  CHECK(orders["outbox"]["backlogBytes"].IsNull());
  CHECK(orders["outbox"]["publishedPerSecond"].GetDouble() == 10);
  // One topic only: the unlabelled outbox counter is that topic's rate.
  CHECK(orders["publishes"][0]["topic"] == "order.events");
  CHECK(orders["publishes"][0]["perSecond"].GetDouble() == 10);

  CHECK(orders["instances"][0]["up"].GetBool());
  CHECK_FALSE(orders["instances"][1]["up"].GetBool());
  const auto& stock_edge = find(doc["services"], "name", "stock")["upstream"];
  CHECK(stock_edge["requestsPerSecond"].GetDouble() == 6);
  CHECK(stock_edge["errorRatio"].GetDouble() == Approx(0.25));  // 5xx and no answer
  CHECK(stock_edge["p99Seconds"].GetDouble() == Approx(0.05 * 11.88 / 12));

  const auto& stock = find(doc["groups"], "group", "stock");
  CHECK(stock["service"] == "stock");
  const auto& from_orders = stock["topics"][0];
  CHECK(from_orders["lagMessages"].GetDouble() == 7);
  CHECK(from_orders["lagSeconds"].GetDouble() == 0.5);
  // The series gained the topic label between the scrapes: counted from 0, as a new series.
  CHECK(from_orders["appliedPerSecond"].GetDouble() == Approx(12.5));
  CHECK(from_orders["retriesPerSecond"].IsNull());
  CHECK(from_orders["dlq"]["topic"] == "order.events.stock.dlq");
  CHECK(from_orders["dlq"]["messages"].GetInt64() == 4);
  CHECK(from_orders["dlq"]["newest"]["errorClass"] == "decode");
  CHECK(from_orders["dlq"]["newest"]["errorMessage"] == "not JSON");
  CHECK(from_orders["dlq"]["newest"]["at"] == "2023-11-14T22:13:21.000000Z");
  CHECK(from_orders["dlq"]["newest"]["ageSeconds"].GetDouble() == 1);
  const auto& orders_group = find(doc["groups"], "group", "orders");
  CHECK(orders_group["appliedPerSecond"].GetDouble() == 8);
  CHECK(orders_group["topics"][0]["dlq"]["messages"].IsNull());
  CHECK(std::string(orders_group["topics"][0]["dlq"]["readError"].GetString()).find("Timed out") != std::string::npos);
  CHECK(doc["kafka"]["reachable"].GetBool());
  CHECK(doc["topics"].Size() == 2);
  CHECK(doc["topics"][0]["producers"][0] == "orders");
}
