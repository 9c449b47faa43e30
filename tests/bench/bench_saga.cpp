// Saga latency on the real stack (reported, never asserted): orders at a fixed rate, and for each
// the time from the order's commit to the moment all three consumers (stock, shipping,
// notification) have applied its ORDER_CREATED. Prints one JSON object (summary on stderr).
//
//   bench_saga [--rate 50|0] [--seconds 20] [--clients 8] [--gateway] [--mode auto|orders|events]
//
// orders (auto when the orders service answers): orders are placed over its HTTP API. events: the
// bench publishes ORDER_CREATED to order.events itself (no relay hop: the consumers' share alone).
//
// Every time comes from what the system recorded: the bench reads order.events, stock.events and
// shipping.events from the offsets they had before the first order. ORDER_CREATED's occurredAt (set
// in the order's transaction) is "commit"; then (a) ORDER_CREATED's Kafka timestamp (handed to the
// broker by the relay), (b) STOCK_RESERVED/REJECTED's occurredAt (stock decided), (c)
// ORDER_CONFIRMED/REJECTED's occurredAt, (d) SHIPMENT_STATUS_CHANGED to READY's occurredAt, (e) the
// notification row's created_at. "All three done" is the last of stock decided, SHIPMENT_CREATED's
// occurredAt and the notification row. `--products N` spreads the orders over N products (default 1:
// one hot product).
#include <CLI/CLI.hpp>
#include <librdkafka/rdkafkacpp.h>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>
#include <thread>

#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/topics.hpp"
#include "stack_env.hpp"

using namespace shopmesh;
using namespace std::chrono_literals;
using testing::stack_var;

namespace {

double now_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

core::HttpResult http(const std::string& method, const std::string& url, const std::string& body,
                      std::vector<std::pair<std::string, std::string>> headers) {
  core::HttpCall c{method, url, std::move(headers), body, 30s, &testing::mesh()};
  if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
  return core::http_call(c);
}

std::string json_string(const std::string& body, const char* name) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(name) || !d[name].IsString()) return {};
  return d[name].GetString();
}

struct Placed {
  std::string order_id;
  std::string event_id;  // known in the self-publishing mode
  double committed = 0;  // epoch seconds
};

const std::string kAdmin = core::uuid_v7();

std::vector<std::pair<std::string, std::string>> admin() {
  return {{"X-User-Id", kAdmin}, {"X-User-Role", "ADMIN"}, {"X-User-Email", "admin@shopmesh.local"}};
}

bool orders_service_present() {
  auto p = http("POST", stack_var("PRODUCTS_URL") + "/api/products", "{}", admin());
  auto o = http("POST", stack_var("ORDERS_URL") + "/api/orders", "{}",
                {{"X-User-Id", core::uuid_v7()}, {"X-User-Role", "USER"}});
  return p.status != 0 && p.status != 404 && p.status != 405 && o.status != 0 && o.status != 404 && o.status != 405;
}

bool wait_for_level(const std::string& product_id) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http("GET", stack_var("STOCK_URL") + "/internal/stock/" + product_id, "", {}).status == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::string order_created_json(const std::string& order_id, const std::string& user_id, const std::string& product) {
  contracts::OrderCreatedV1 e;
  e.order_id = {order_id};
  e.user_id = {user_id};
  e.items.push_back({{product}, "Bench mug", core::Cents{1250}, 1, core::Cents{1250}});
  e.total_amount = core::Cents{1250};
  e.shipping_address = contracts::OrderCreatedV1ShippingAddress{"1 Bench St", std::nullopt, "Springfield", "1", "US"};
  e.created_at = events::now_rfc3339();
  return to_json(e);
}

// Self-publishing mode: ORDER_CREATED straight to order.events at the given rate.
std::vector<Placed> publish_orders(int rate, int seconds, core::Logger& log) {
  const std::string product = core::uuid_v7();
  events::Producer producer({stack_var("KAFKA_BROKERS"), "bench-saga"}, log);
  auto send = [&](const events::Envelope& e) {
    producer.send(std::string(events::topic::order), e.key, events::encode(e), events::envelope_headers(e),
                  [](const events::Delivery&) {});
    producer.poll(0ms);
  };
  contracts::ProductCreatedV1 p;
  p.product_id = {product};
  p.sku = "BENCH-" + product.substr(24);
  p.name = "Bench mug";
  p.price = core::Cents{1250};
  p.active = true;
  p.stock = 1'000'000;
  p.created_at = events::now_rfc3339();
  events::Envelope pe{core::uuid_v7(), "PRODUCT_CREATED", 1, events::now_rfc3339(), "bench", product, "", "", "",
                      to_json(p)};
  producer.send(std::string(events::topic::catalog), product, events::encode(pe), events::envelope_headers(pe),
                [](const events::Delivery&) {});
  producer.flush(10s);
  if (!wait_for_level(product)) throw std::runtime_error("stock never opened the bench product");

  std::vector<Placed> placed;
  const int total = rate * seconds;
  const auto interval =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / rate));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + i * interval);
    const std::string order = core::uuid_v7();
    events::Envelope e{core::uuid_v7(),
                       "ORDER_CREATED",
                       1,
                       events::now_rfc3339(),
                       "bench",
                       order,
                       "",
                       "",
                       "",
                       order_created_json(order, core::uuid_v7(), product)};
    e.correlation_id = e.id;
    placed.push_back({order, e.id, now_epoch()});
    send(e);
  }
  producer.flush(30s);
  return placed;
}

// How orders are placed in the orders-service mode: straight to the orders service with identity
// headers, or through the gateway as a real client would (registered users, RS256 tokens).
struct Placement {
  bool via_gateway = false;
  int clients = 8;
  int products = 1;  // orders spread round-robin over this many products
  std::string admin_token;
  std::vector<std::string> user_tokens;  // one per client, via the gateway

  std::string base(const char* service_var) const {
    return via_gateway ? stack_var("GATEWAY_URL") : stack_var(service_var);
  }
  std::vector<std::pair<std::string, std::string>> as_admin() const {
    if (via_gateway) return {{"Authorization", "Bearer " + admin_token}};
    return admin();
  }
  std::vector<std::pair<std::string, std::string>> as_client(int client) const {
    if (via_gateway) return {{"Authorization", "Bearer " + user_tokens[static_cast<std::size_t>(client)]}};
    return {{"X-User-Id", core::uuid_v7()}, {"X-User-Role", "USER"}, {"X-User-Email", "bench@example.com"}};
  }
};

std::string login(const std::string& email, const std::string& password) {
  auto r = http("POST", stack_var("GATEWAY_URL") + "/api/auth/login",
                R"({"email":")" + email + R"(","password":")" + password + R"("})", {});
  const std::string token = json_string(r.body, "access_token");
  if (r.status != 200 || token.empty())
    throw std::runtime_error("login of " + email + " failed (status " + std::to_string(r.status) + ")");
  return token;
}

void sign_in(Placement& how) {
  if (!how.via_gateway) return;
  const char* admin_email = std::getenv("ADMIN_EMAIL");
  const char* admin_password = std::getenv("ADMIN_PASSWORD");
  // scripts/stack exports the admin's credentials (generated into its state dir when not set).
  if (admin_password == nullptr || *admin_password == '\0')
    throw std::runtime_error("ADMIN_PASSWORD is not set: run under scripts/stack, or export it");
  how.admin_token = login(admin_email ? admin_email : "admin@shopmesh.local", admin_password);
  for (int c = 0; c < how.clients; ++c) {
    const std::string email = "bench-" + core::uuid_v7() + "@example.com";
    auto r = http("POST", stack_var("GATEWAY_URL") + "/api/auth/register",
                  R"({"email":")" + email + R"(","password":"bench-password-123","name":"Bench Buyer"})", {});
    if (r.status != 201) throw std::runtime_error("register failed (status " + std::to_string(r.status) + ")");
    how.user_tokens.push_back(login(email, "bench-password-123"));
  }
}

// Orders-service mode: POST /api/orders. rate > 0: at that fixed rate, from the clients;
// rate == 0: closed loop, each client placing its next order as soon as the last one is answered.
std::vector<Placed> place_orders(const Placement& how, int rate, int seconds, double& window_s) {
  std::vector<std::string> products, bodies;  // one order body per product
  for (int n = 0; n < how.products; ++n) {
    auto r = http("POST", how.base("PRODUCTS_URL") + "/api/products",
                  R"({"sku":"BENCH-)" + core::uuid_v7().substr(24) +
                      R"(","name":"Bench mug","description":"bench","price":12.50,"category":"bench","initialStock":10000000})",
                  how.as_admin());
    const std::string product = json_string(r.body, "id");
    if (r.status != 201 || product.empty())
      throw std::runtime_error("could not create a bench product (status " + std::to_string(r.status) + ")");
    products.push_back(product);
    bodies.push_back(R"({"items":[{"productId":")" + product + R"(","quantity":1}]})");
  }
  for (const auto& product : products)
    if (!wait_for_level(product))
      throw std::runtime_error("stock never opened a bench product");
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(rate, 1)));
  const int total = rate > 0 ? rate * seconds : std::numeric_limits<int>::max();
  std::mutex mutex;
  std::vector<Placed> placed;
  std::atomic<int> next{0};
  std::atomic<long> failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < how.clients; ++t)
    clients.emplace_back([&, t] {
      const auto headers = how.as_client(t);
      for (int i = next++; i < total; i = next++) {
        if (rate > 0) std::this_thread::sleep_until(start + i * interval);
        if (rate == 0 && std::chrono::steady_clock::now() >= end) break;
        auto res = http("POST", how.base("ORDERS_URL") + "/api/orders", bodies[static_cast<std::size_t>(i) % bodies.size()],
                        headers);
        std::string id = res.status == 201 ? json_string(res.body, "id") : "";
        if (id.empty()) {
          ++failed;
          continue;
        }
        std::lock_guard lock(mutex);
        placed.push_back({std::move(id), "", 0});
      }
    });
  for (auto& c : clients) c.join();
  window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed > 0) std::fprintf(stderr, "bench_saga: %ld orders were not accepted\n", failed.load());
  return placed;
}

std::string array_of(const std::vector<Placed>& placed) {
  std::string s = "{";
  for (const auto& p : placed) s += (s.size() > 1 ? "," : "") + p.order_id;
  return s + "}";
}

// order id -> epoch seconds, from one query returning (order_id, epoch).
std::map<std::string, double> times(const std::string& url, const std::string& sql, const std::string& ids) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::map<std::string, double> out;
  for (const auto& r : tx.exec_params(sql, ids)) out[r[0].as<std::string>()] = r[1].as<double>();
  return out;
}


double parse_rfc3339(const std::string& s) {
  // 2026-12-03T14:10:03.123456Z (any number of fraction digits)
  std::tm tm{};
  if (s.size() < 20 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  double frac = 0;
  if (s[19] == '.') frac = std::strtod(s.c_str() + 19, nullptr);
  return static_cast<double>(timegm(&tm)) + frac;
}

// Reads the pipeline's topics from where they ended before the first order: one record per event,
// (order id, stage) -> epoch seconds.
class StageRecorder {
 public:
  StageRecorder() {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", stack_var("KAFKA_BROKERS"), err);
    conf->set("group.id", "bench-saga-stages", err);
    conf->set("enable.auto.commit", "false", err);
    conf->set("fetch.wait.max.ms", "100", err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer_) throw std::runtime_error("bench consumer: " + err);
    std::vector<RdKafka::TopicPartition*> at;
    for (const char* topic : {"order.events", "stock.events", "shipping.events"}) {
      RdKafka::Metadata* md = nullptr;
      std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer_.get(), topic, nullptr, err));
      if (consumer_->metadata(false, t.get(), &md, 10'000) != RdKafka::ERR_NO_ERROR || !md)
        throw std::runtime_error(std::string("bench consumer: no metadata for ") + topic);
      for (const auto* tm : *md->topics())
        for (const auto* pm : *tm->partitions()) {
          int64_t low = 0, high = 0;
          consumer_->query_watermark_offsets(topic, pm->id(), &low, &high, 10'000);
          at.push_back(RdKafka::TopicPartition::create(topic, pm->id(), high));
        }
      delete md;
    }
    consumer_->assign(at);
    RdKafka::TopicPartition::destroy(at);
    thread_ = std::thread([this] { run(); });
  }
  ~StageRecorder() {
    stop_ = true;
    thread_.join();
    consumer_->close();
  }
  // Stage -> (order id -> epoch seconds), once the recorder has caught up past `until` (epoch).
  std::map<std::string, std::map<std::string, double>> stages() {
    std::lock_guard lock(mutex_);
    return stages_;
  }

 private:
  void run() {
    while (!stop_) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      std::string error;
      auto e = events::decode(std::string_view(static_cast<const char*>(m->payload()), m->len()), error);
      if (!e) continue;
      const double occurred = parse_rfc3339(e->occurred_at);
      std::lock_guard lock(mutex_);
      auto put = [&](const char* stage, double t) { stages_[stage].emplace(e->key, t); };
      if (e->type == "ORDER_CREATED") {
        put("commit", occurred);
        put("onBroker", static_cast<double>(m->timestamp().timestamp) / 1000.0);
      } else if (e->type == "STOCK_RESERVED" || e->type == "STOCK_REJECTED") {
        put("stockDecided", occurred);
      } else if (e->type == "ORDER_CONFIRMED" || e->type == "ORDER_REJECTED") {
        put("orderConfirmed", occurred);
      } else if (e->type == "SHIPMENT_CREATED") {
        put("shipmentCreated", occurred);
      } else if (e->type == "SHIPMENT_STATUS_CHANGED" && e->data.find("\"to\":\"READY\"") != std::string::npos) {
        put("shipmentReady", occurred);
      }
    }
  }

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, std::map<std::string, double>> stages_;
};

}  // namespace

int main(int argc, char** argv) {
  int rate = 50, seconds = 20;
  std::string mode_arg = "auto";
  Placement how;
  CLI::App app{"Order saga latency on the running stack (reported, never asserted)"};
  app.add_option("--rate", rate, "orders per second; 0: closed loop, as fast as the clients are answered")
      ->check(CLI::Range(0, 100'000));
  app.add_option("--seconds", seconds, "how long orders are placed")->check(CLI::Range(1, 3600));
  app.add_option("--clients", how.clients, "concurrent clients placing orders")->check(CLI::Range(1, 1024));
  app.add_option("--mode", mode_arg, "auto, orders (over the orders API) or events (self-published)")
      ->check(CLI::IsMember({"auto", "orders", "events"}));
  app.add_option("--products", how.products, "spread the orders over this many products (1: one hot product)")
      ->check(CLI::Range(1, 10'000));
  app.add_flag("--gateway", how.via_gateway, "place orders through the gateway as registered users with tokens");
  CLI11_PARSE(app, argc, argv);
  core::Logger log("bench-saga", core::LogLevel::warn);
  const bool via_orders = how.via_gateway || mode_arg == "orders" || (mode_arg == "auto" && orders_service_present());
  if (!via_orders && rate == 0) {
    std::fprintf(stderr, "bench_saga: the events mode needs a fixed --rate\n");
    return 2;
  }
  const std::string mode = !via_orders ? "self-published ORDER_CREATED"
                                       : (how.via_gateway ? "gateway" : "orders-service");
  std::fprintf(stderr, "bench_saga: %s for %d s, %d clients (%s)\n",
               rate > 0 ? (std::to_string(rate) + " orders/s").c_str() : "closed loop", seconds, how.clients,
               mode.c_str());
  double sending_s = 0;
  std::vector<Placed> placed;
  if (via_orders) sign_in(how);
  StageRecorder recorder;  // from the topics' ends before the first order
  if (via_orders) {
    placed = place_orders(how, rate, seconds, sending_s);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    placed = publish_orders(rate, seconds, log);
    sending_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double placing_ended = now_epoch();
  const std::string ids = array_of(placed);

  // Done: stock decided, the shipment opened, the notification recorded.
  const std::string notifications_sql =
      "SELECT order_id::text, extract(epoch FROM created_at)::float8 FROM notifications"
      " WHERE type = 'ORDER_CREATED' AND order_id = ANY($1::uuid[])";
  std::map<std::string, std::map<std::string, double>> stage;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  auto settled = [&](const char* name) {
    const auto& m = stage[name];
    return std::all_of(placed.begin(), placed.end(), [&](const Placed& p) { return m.count(p.order_id) > 0; });
  };
  while (true) {
    stage = recorder.stages();
    // Every stage, for the stage latencies (an order rejected has no READY shipment: it is settled by its rejection).
    bool complete = settled("commit") && settled("stockDecided") && settled("shipmentCreated") &&
                    settled("orderConfirmed");
    if (complete) {
      stage["notificationRecorded"] = times(stack_var("DATABASE_URL_NOTIFICATION"), notifications_sql, ids);
      complete = settled("notificationRecorded");
    }
    if (complete || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(complete ? 100ms : 250ms);
  }
  if (stage["notificationRecorded"].empty())
    stage["notificationRecorded"] = times(stack_var("DATABASE_URL_NOTIFICATION"), notifications_sql, ids);
  for (auto& p : placed)
    if (auto it = stage["commit"].find(p.order_id); it != stage["commit"].end()) p.committed = it->second;

  const std::vector<std::pair<std::string, std::string>> consumers{
      {"stock", "stockDecided"}, {"shipping", "shipmentCreated"}, {"notification", "notificationRecorded"}};
  const std::vector<std::pair<std::string, std::string>> stages{{"onBroker", "onBroker"},
                                                                {"stockDecided", "stockDecided"},
                                                                {"orderConfirmed", "orderConfirmed"},
                                                                {"shipmentReady", "shipmentReady"},
                                                                {"notificationRecorded", "notificationRecorded"}};
  std::map<std::string, std::vector<double>> latency;  // ms, per consumer, per stage and "all three"
  double first_commit = std::numeric_limits<double>::max(), last_done = 0;
  for (const auto& p : placed) {
    if (p.committed == 0) continue;
    first_commit = std::min(first_commit, p.committed);
    for (const auto& [name, source] : stages)
      if (auto it = stage[source].find(p.order_id); it != stage[source].end())
        latency["stage:" + name].push_back((it->second - p.committed) * 1000.0);
    double last = 0;
    bool all = true;
    for (const auto& [name, source] : consumers) {
      auto it = stage[source].find(p.order_id);
      if (it == stage[source].end()) {
        all = false;
        continue;
      }
      latency[name].push_back((it->second - p.committed) * 1000.0);
      last = std::max(last, it->second);
    }
    if (all) latency["all three"].push_back((last - p.committed) * 1000.0);
    if (all) last_done = std::max(last_done, last);
  }
  // What the whole pipeline kept up with: orders fully processed by all three consumers per
  // second, from the first commit to the last order done; and how long after the last order was
  // accepted that was (a backlog that grew while orders were placed).
  const std::size_t all_done = latency["all three"].size();
  const double pipeline_rate =
      last_done > first_commit ? static_cast<double>(all_done) / (last_done - first_commit) : 0.0;
  const double drain_s = std::max(0.0, last_done - placing_ended);
  std::printf("{\"bench\":\"saga\",\"mode\":\"%s\",\"rate\":%d,\"clients\":%d,\"seconds\":%.2f,\"orders\":%zu,"
              "\"achievedRate\":%.1f,\"pipelineRate\":%.1f,\"drainS\":%.2f",
              mode.c_str(), rate, how.clients, sending_s, placed.size(), static_cast<double>(placed.size()) / sending_s,
              pipeline_rate, drain_s);
  std::fprintf(stderr, "  accepted %.1f orders/s; all three consumers done at %.1f orders/s, %.2f s after the last was placed\n",
               static_cast<double>(placed.size()) / sending_s, pipeline_rate, drain_s);
  for (const auto& [name, v] : latency) {
    std::printf(",\"%s\":{\"n\":%zu,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f}", name.c_str(),
                v.size(), percentile(v, 0.50), percentile(v, 0.90), percentile(v, 0.99), percentile(v, 1.0));
    std::fprintf(stderr, "  %-13s n=%-5zu p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", name.c_str(),
                 v.size(), percentile(v, 0.50), percentile(v, 0.90), percentile(v, 0.99), percentile(v, 1.0));
  }
  std::printf("}\n");
  return all_done == placed.size() ? 0 : 1;
}
