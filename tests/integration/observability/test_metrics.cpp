// Issue #22's metrics on the real stack: an order placed end to end shows in every stage of
// `order_pipeline_seconds`, the consumers' lag goes back to 0, a poison message moves the dead-letter
// series, the outboxes report their backlog, and the gateway its upstreams. Each service's /metrics
// (and the gateway's admin /metrics) is read as Prometheus text.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../saga/mesh_kit.hpp"
#include "shopmesh/gateway/prometheus_text.hpp"
#include "test_prelude.hpp"

namespace kit = testing::kit;
namespace prom = gateway::prom;

namespace {

using prom::Sample;

prom::Scrape scrape(const std::string& base_url) {
  const auto r = kit::http("GET", base_url + "/metrics");
  if (r.status != 200) return {};
  return prom::parse(r.body);
}

// The samples named `name` whose labels include `want`.
std::vector<Sample> select(const prom::Scrape& m, std::string_view name, const prom::Match& want = {}) {
  std::vector<Sample> out;
  for (const auto& s : m.samples)
    if (s.name == name && prom::matches(s, want)) out.push_back(s);
  return out;
}

// The value of the one sample named `name` with labels `want`; nullopt when there is none.
std::optional<double> value(const prom::Scrape& m, std::string_view name, const prom::Match& want = {}) {
  auto found = select(m, name, want);
  if (found.empty()) return std::nullopt;
  return found.front().value;
}

std::string url_of(const char* service) {
  return stack_var((std::string(service) + "_URL").c_str());
}

// The groups each service consumes with, and their topics (contracts/topics.json).
const std::map<std::string, std::pair<std::string, std::vector<std::string>>> kConsumers{
    {"STOCK", {"stock", {"order.events", "catalog.events"}}},
    {"ORDERS", {"orders", {"stock.events"}}},
    {"SHIPPING", {"shipping", {"order.events", "stock.events"}}},
    {"NOTIFICATION", {"notification", {"identity.events", "order.events", "shipping.events"}}},
};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("metrics: an order end to end shows in every pipeline stage, lag returns to 0, outboxes report",
          "[metrics]") {
  const std::string admin = core::uuid_v7();
  const std::string sku = "MET-" + core::uuid_v7().substr(24);
  auto created = kit::http("POST", url_of("PRODUCTS") + "/api/products",
                           R"({"sku":")" + sku + R"(","name":"Metrics mug )" + sku +
                               R"(","description":"A mug for the metrics test","price":7.50,"category":"metrics",)"
                               R"("initialStock":5})",
                           kit::as_admin(admin));
  INFO("POST /api/products -> " << created.status << " " << created.body);
  REQUIRE(created.status == 201);
  const std::string product = kit::str(kit::json(created.body), "id");
  REQUIRE(eventually([&] { return kit::http("GET", url_of("STOCK") + "/internal/stock/" + product).status == 200; },
                     30s));

  const std::string user = core::uuid_v7();
  const auto placed = kit::http(
      "POST", url_of("ORDERS") + "/api/orders",
      R"({"items":[{"productId":")" + product +
          R"(","quantity":1}],"shippingAddress":{"line1":"1 Metric Way","line2":null,"city":"Springfield",)"
          R"("postalCode":"12345","country":"US"}})",
      kit::as_user(user, "metrics-" + user.substr(24) + "@example.com"), 30s);
  INFO("POST /api/orders -> " << placed.status << " " << placed.body);
  REQUIRE(placed.status == 201);
  const std::string order = kit::str(kit::json(placed.body), "id");
  REQUIRE(eventually(
      [&] {
        const auto got = kit::http("GET", url_of("ORDERS") + "/api/orders/" + order, "", kit::as_user(user));
        return kit::str(kit::json(got.body), "status") == "CONFIRMED";
      },
      60s, 100ms));

  // Each stage is exported by the service where it happens, with at least this order in it.
  const std::vector<std::pair<const char*, const char*>> stages{{"ORDERS", "published"},
                                                                {"STOCK", "stock_decided"},
                                                                {"ORDERS", "confirmed"},
                                                                {"SHIPPING", "shipment_ready"},
                                                                {"NOTIFICATION", "notification_recorded"}};
  for (const auto& [service, stage] : stages) {
    prom::Scrape m;
    const bool counted = eventually(
        [&] {
          m = scrape(url_of(service));
          return value(m, "order_pipeline_seconds_count", {{"stage", stage}}).value_or(0) >= 1;
        },
        30s, 200ms);
    INFO(service << " order_pipeline_seconds{stage=" << stage << "}");
    CHECK(counted);
    const double count = value(m, "order_pipeline_seconds_count", {{"stage", stage}}).value_or(0);
    const double sum = value(m, "order_pipeline_seconds_sum", {{"stage", stage}}).value_or(-1);
    CHECK(sum >= 0);
    if (count > 0) CHECK(sum / count < 60);  // seconds, not milliseconds
    CHECK(value(m, "order_pipeline_seconds_bucket", {{"stage", stage}, {"le", "60"}}).has_value());
  }
  // ...and nowhere else: stock exports only its own stage.
  CHECK_FALSE(value(scrape(url_of("STOCK")), "order_pipeline_seconds_count", {{"stage", "published"}}).has_value());

  // Every consumer's lag, per group and topic, drains back to 0 once the order has gone through.
  for (const auto& [service, consumer] : kConsumers) {
    const auto& [group, topics] = consumer;
    prom::Scrape m;
    const bool drained = eventually(
        [&] {
          m = scrape(url_of(service.c_str()));
          for (const auto& topic : topics) {
            auto messages = value(m, "consumer_lag_messages", {{"group", group}, {"topic", topic}});
            auto seconds = value(m, "consumer_lag_seconds", {{"group", group}, {"topic", topic}});
            if (!messages || !seconds || *messages != 0 || *seconds != 0) return false;
          }
          return true;
        },
        30s, 250ms);
    INFO(service << ": consumer_lag_messages / consumer_lag_seconds of group " << group);
    CHECK(drained);
    for (const auto& topic : topics) {
      CHECK(value(m, "consumer_retries_total", {{"group", group}, {"topic", topic}}).has_value());
      CHECK(value(m, "consumer_dead_letters_total", {{"group", group}, {"topic", topic}}).has_value());
      CHECK(value(m, "consumer_last_dead_letter_timestamp_seconds", {{"group", group}, {"topic", topic}}).has_value());
    }
  }
  const auto stock = scrape(url_of("STOCK"));
  CHECK(value(stock, "events_consumed_total",
              {{"group", "stock"}, {"topic", "order.events"}, {"type", "ORDER_CREATED"}, {"outcome", "applied"}})
            .value_or(0) >= 1);

  // The outboxes: the backlog is read from PostgreSQL, the oldest unpublished is 0 once all is acknowledged.
  for (const char* service : {"ORDERS", "STOCK", "SHIPPING", "NOTIFICATION", "PRODUCTS", "USERS", "AUTH"}) {
    const auto m = scrape(url_of(service));
    INFO(service);
    const auto backlog = value(m, "outbox_backlog_bytes");
    REQUIRE(backlog.has_value());
    CHECK(*backlog >= 0);
    CHECK(*backlog < 512.0 * 1024 * 1024);
    CHECK(value(m, "outbox_oldest_unpublished_seconds").has_value());
    CHECK(value(m, "outbox_relay_active").value_or(0) == 1);
  }
  const auto orders = scrape(url_of("ORDERS"));
  CHECK(value(orders, "outbox_published_total", {{"topic", "order.events"}}).value_or(0) >= 1);
  CHECK(eventually([&] { return value(scrape(url_of("ORDERS")), "outbox_oldest_unpublished_seconds") == 0.0; }, 30s));
}

TEST_CASE("metrics: a poison message moves the group's dead-letter counter and timestamp", "[metrics]") {
  const prom::Match labels{{"group", "stock"}, {"topic", "catalog.events"}};
  const double before = value(scrape(url_of("STOCK")), "consumer_dead_letters_total", labels).value_or(-1);
  REQUIRE(before >= 0);
  const double sent_at = unix_now();
  // Not an envelope at all, on catalog.events: stock (its only group) dead-letters it. Not on a topic
  // other tests read with groups of their own from the start (the notification SMTP test's group has
  // no dead-letter topic and would retry it forever).
  events::Envelope poison = kit::envelope("PRODUCT_UPDATED", core::uuid_v7(), "{}");
  {
    static core::Logger log("it-metrics", core::LogLevel::warn);
    events::Producer producer({stack_var("KAFKA_BROKERS"), "it-metrics-poison"}, log);
    bool delivered = false;
    REQUIRE(producer.send("catalog.events", poison.key, "this is not an event", {},
                          [&](const events::Delivery& d) { delivered = d.ok; }));
    REQUIRE(producer.flush(30s));
    REQUIRE(delivered);
  }
  prom::Scrape m;
  const bool moved = eventually(
      [&] {
        m = scrape(url_of("STOCK"));
        return value(m, "consumer_dead_letters_total", labels).value_or(0) >= before + 1;
      },
      30s, 200ms);
  CHECK(moved);
  const double newest = value(m, "consumer_last_dead_letter_timestamp_seconds", labels).value_or(0);
  CHECK(newest >= sent_at - 1);
  CHECK(newest <= unix_now() + 1);
  CHECK(value(m, "events_consumed_total",
              {{"group", "stock"}, {"topic", "catalog.events"}, {"type", "invalid"},
               {"outcome", "dead_lettered"}})
            .value_or(0) >= 1);
  // The dead letter is processed, so the lag is 0 again.
  CHECK(eventually(
      [&] { return value(scrape(url_of("STOCK")), "consumer_lag_messages", labels) == 0.0; }, 30s, 250ms));
}

TEST_CASE("metrics: the gateway counts and times its upstream requests and reports each instance up", "[metrics]") {
  const auto r = kit::http("GET", stack_var("GATEWAY_URL") + "/api/products?limit=1");
  INFO("GET /api/products -> " << r.status);
  REQUIRE(r.status == 200);
  const std::string admin = stack_var("GATEWAY_ADMIN_URL");
  prom::Scrape m;
  REQUIRE(eventually(
      [&] {
        m = scrape(admin);
        return value(m, "gateway_upstream_requests_total", {{"service", "products"}, {"code", "2xx"}}).value_or(0) >= 1;
      },
      10s));
  CHECK(value(m, "gateway_upstream_request_duration_seconds_count", {{"service", "products"}}).value_or(0) >= 1);
  CHECK(value(m, "gateway_upstream_requests_total", {{"service", "products"}, {"code", "error"}}).has_value());
  // Every service's instances, probed every few seconds: all up on a healthy stack.
  for (const char* service : {"auth", "users", "products", "cart", "orders", "stock", "shipping", "notification"}) {
    INFO(service);
    const auto up = select(m, "gateway_upstream_up", {{"service", service}});
    REQUIRE_FALSE(up.empty());
    for (const auto& s : up) {
      REQUIRE(s.label("instance") != nullptr);
      CHECK(s.label("instance")->find(':') != std::string::npos);
      CHECK(s.value == 1);
    }
  }
  CHECK_FALSE(select(m, "gateway_request_duration_seconds_count").empty());
}
