// The foundation on the real stack: gateway -> products -> PostgreSQL, health aggregation, and a
// produce/consume round trip through the real Kafka broker.
#include <memory>

#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/uuid.hpp"
#include "stack_env.hpp"

using namespace shopmesh;
using shopmesh::testing::eventually;
using shopmesh::testing::stack_var;

namespace {

core::HttpResult get(const std::string& url, std::vector<std::pair<std::string, std::string>> headers = {}) {
  core::HttpCall call;
  call.url = url;
  call.headers = std::move(headers);
  call.timeout = std::chrono::seconds(5);
  call.mesh = &testing::mesh();
  return core::http_call(call);
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("stack: /api/health through the gateway reports every service, PostgreSQL and Kafka ok", "[stack]") {
  auto r = get(stack_var("GATEWAY_URL") + "/api/health");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = parse(r.body);
  CHECK(std::string(d["status"].GetString()) == "ok");
  CHECK(std::string(d["kafka"].GetString()) == "ok");
  CHECK(std::string(d["postgres"].GetString()) == "ok");
  for (const char* s : {"auth", "users", "products", "cart", "orders", "stock", "shipping", "notification"}) {
    INFO(s);
    REQUIRE(d["services"].HasMember(s));
    CHECK(std::string(d["services"][s].GetString()) == "ok");
  }
  CHECK_FALSE(r.header("x-request-id").empty());
}

TEST_CASE("stack: every service answers /health and /metrics directly, the gateway on its admin listener", "[stack]") {
  for (const char* var : {"AUTH_URL", "USERS_URL", "PRODUCTS_URL", "CART_URL", "ORDERS_URL", "STOCK_URL",
                          "SHIPPING_URL", "NOTIFICATION_URL"}) {
    INFO(var);
    auto base = stack_var(var);
    auto health = get(base + "/health");
    CHECK(health.status == 200);
    CHECK(health.body.find("\"postgres\":\"ok\"") != std::string::npos);
    auto metrics = get(base + "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("http_requests_total") != std::string::npos);
  }
  auto gw = get(stack_var("GATEWAY_ADMIN_URL") + "/metrics");
  CHECK(gw.status == 200);
  CHECK(gw.body.find("gateway_requests_total") != std::string::npos);
}

TEST_CASE("stack: GET /api/products through the gateway is served from PostgreSQL", "[stack]") {
  const std::string word = "zq" + core::uuid_v7().substr(24);  // a unique searchable token
  const std::string id = core::uuid_v7();
  {
    pqxx::connection c(stack_var("DATABASE_URL_PRODUCTS"));
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO products (id, sku, name, description, price_cents, category, stock) "
        "VALUES ($1, $2, $3, 'made by the integration test', 1999, 'tests', 7)",
        id, "SKU-" + word, "Widget " + word);
    tx.commit();
  }
  const std::string gateway = stack_var("GATEWAY_URL");
  auto r = get(gateway + "/api/products?q=" + word + "&limit=5",
               {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"X-Request-Id", "it-123"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-request-id") == "it-123");
  auto d = parse(r.body);
  REQUIRE(d["total"].GetInt() == 1);
  CHECK(d["limit"].GetInt() == 5);
  const auto& item = d["items"][0];
  CHECK(std::string(item["id"].GetString()) == id);
  CHECK(item["price"].GetDouble() == Approx(19.99));
  CHECK(r.body.find("\"price\":19.99") != std::string::npos);
  CHECK(item["stock"].GetInt() == 7);

  auto one = get(gateway + "/api/products/" + id);
  CHECK(one.status == 200);
  auto missing = get(gateway + "/api/products/" + core::uuid_v7());
  CHECK(missing.status == 404);
  CHECK(missing.header("content-type") == "application/problem+json");
  auto bad = get(gateway + "/api/products?limit=1000");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("\"field\":\"limit\"") != std::string::npos);
  auto unknown = get(gateway + "/api/nowhere");
  CHECK(unknown.status == 404);
}

TEST_CASE("stack: a keyed message produced to the real broker is consumed in order with its headers", "[kafka]") {
  const std::string brokers = stack_var("KAFKA_BROKERS");
  const std::string topic = "it.roundtrip." + core::uuid_v7();
  std::string err;

  {  // create a private topic with the admin API
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    REQUIRE(rk != nullptr);
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), 3, 1, errstr, sizeof errstr);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
    REQUIRE(ev != nullptr);
    size_t n = 0;
    const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    REQUIRE(n == 1);
    CHECK(rd_kafka_topic_result_error(results[0]) == RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
  }

  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  pconf->set("bootstrap.servers", brokers, err);
  pconf->set("enable.idempotence", "true", err);
  pconf->set("acks", "all", err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), err));
  REQUIRE(producer);
  const std::string key = core::uuid_v7();
  for (int i = 0; i < 5; ++i) {
    std::string value = R"({"seq":)" + std::to_string(i) + "}";
    auto* headers = RdKafka::Headers::create();
    headers->add("event-type", "TEST_EVENT");
    auto rc = producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
                                value.size(), key.data(), key.size(), 0, headers, nullptr);
    REQUIRE(rc == RdKafka::ERR_NO_ERROR);
  }
  REQUIRE(producer->flush(15000) == RdKafka::ERR_NO_ERROR);

  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  cconf->set("bootstrap.servers", brokers, err);
  cconf->set("group.id", "it-" + core::uuid_v7(), err);
  cconf->set("auto.offset.reset", "earliest", err);
  cconf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(cconf.get(), err));
  REQUIRE(consumer);
  REQUIRE(consumer->subscribe({topic}) == RdKafka::ERR_NO_ERROR);
  std::vector<std::string> values;
  bool headers_ok = true;
  bool all = eventually(
      [&] {
        std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
        if (m->err() == RdKafka::ERR_NO_ERROR) {
          CHECK(*m->key() == key);
          const auto* h = m->headers();
          auto type = h ? h->get_last("event-type") : RdKafka::Headers::Header("", nullptr, 0);
          headers_ok = headers_ok && type.value_string() != nullptr && std::string(type.value_string()) == "TEST_EVENT";
          values.emplace_back(static_cast<const char*>(m->payload()), m->len());
        }
        return values.size() == 5;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(0));
  consumer->close();
  REQUIRE(all);
  CHECK(headers_ok);
  for (int i = 0; i < 5; ++i) CHECK(values[static_cast<std::size_t>(i)] == R"({"seq":)" + std::to_string(i) + "}");
}

TEST_CASE("stack: HEAD answers carry the GET answer's headers and Content-Length, and no body", "[stack]") {
  core::HttpCall create;
  create.method = "POST";
  create.url = stack_var("PRODUCTS_URL") + "/api/products";
  create.headers = {{"Content-Type", "application/json"},
                    {"X-User-Id", "0190a0f0-0000-7000-8000-00000000ad01"},
                    {"X-User-Role", "ADMIN"}};
  create.body = R"({"sku":"HEAD-)" + core::uuid_v7().substr(24) +
                R"(","name":"Head lamp","description":"HEAD test","price":5,"category":"tests","initialStock":1})";
  create.timeout = std::chrono::seconds(5);
  create.mesh = &testing::mesh();
  auto created = core::http_call(create);
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string path = std::string("/api/products/") + parse(created.body)["id"].GetString();
  for (const char* var : {"PRODUCTS_URL", "GATEWAY_URL"}) {
    INFO(var);
    const auto url = stack_var(var) + path;
    auto got = get(url);
    REQUIRE(got.status == 200);
    core::HttpCall call;
    call.method = "HEAD";
    call.url = url;
    call.timeout = std::chrono::seconds(5);
    call.mesh = &testing::mesh();
    auto head = core::http_call(call);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("content-type") == got.header("content-type"));
    CHECK(head.header("content-length") == std::to_string(got.body.size()));
  }
}
