// Saga latency on the real stack (reported, never asserted): orders at a fixed rate, and for each
// the time from the order's commit to the moment all three consumers (stock, shipping,
// notification) have applied its ORDER_CREATED. Prints one JSON object (summary on stderr).
//
//   bench_saga [--rate 50] [--seconds 20] [--mode auto|orders|events]
//
// orders (auto when the orders service answers): orders are placed over its HTTP API and "commit"
// is the ORDER_CREATED row's insert time in its outbox, so the orders relay's hop is included.
// events: the bench publishes ORDER_CREATED to order.events itself and "commit" is the moment it
// hands the event to the producer (no relay hop: the consumers' share alone). "Applied" is the last write of each
// consumer's transaction: stock's STOCK_RESERVED outbox row, shipping's SHIPMENT_CREATED outbox row, notification's
// notification row (all stamped with clock_timestamp() on this machine's clock).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
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
  core::HttpCall c{method, url, std::move(headers), body, 30s};
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

// Orders-service mode: POST /api/orders at the given rate from a few client threads.
std::vector<Placed> place_orders(int rate, int seconds) {
  auto r =
      http("POST", stack_var("PRODUCTS_URL") + "/api/products",
           R"({"sku":"BENCH-)" + core::uuid_v7().substr(24) +
               R"(","name":"Bench mug","description":"bench","price":12.50,"category":"bench","initialStock":1000000})",
           admin());
  const std::string product = json_string(r.body, "id");
  if (r.status != 201 || product.empty() || !wait_for_level(product))
    throw std::runtime_error("could not create the bench product (status " + std::to_string(r.status) + ")");
  const int total = rate * seconds;
  std::vector<Placed> placed(total);
  std::atomic<int> next{0};
  const auto interval =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / rate));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      for (int i = next++; i < total; i = next++) {
        std::this_thread::sleep_until(start + i * interval);
        const std::string user = core::uuid_v7();
        auto res = http("POST", stack_var("ORDERS_URL") + "/api/orders",
                        R"({"items":[{"productId":")" + product + R"(","quantity":1}]})",
                        {{"X-User-Id", user}, {"X-User-Role", "USER"}, {"X-User-Email", "bench@example.com"}});
        if (res.status == 201) placed[i].order_id = json_string(res.body, "id");
      }
    });
  for (auto& c : clients) c.join();
  std::erase_if(placed, [](const Placed& p) { return p.order_id.empty(); });
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

}  // namespace

int main(int argc, char** argv) {
  int rate = 50, seconds = 20;
  std::string mode_arg = "auto";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--mode") == 0) mode_arg = argv[i + 1];
  }
  core::Logger log("bench-saga", core::LogLevel::warn);
  const bool via_orders = mode_arg == "orders" || (mode_arg == "auto" && orders_service_present());
  const std::string mode = via_orders ? "orders-service" : "self-published ORDER_CREATED";
  std::fprintf(stderr, "bench_saga: %d orders/s for %d s (%s)\n", rate, seconds, mode.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Placed> placed = via_orders ? place_orders(rate, seconds) : publish_orders(rate, seconds, log);
  const double sending_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string ids = array_of(placed);

  if (via_orders) {
    auto committed = times(stack_var("DATABASE_URL_ORDERS"),
                           "SELECT key, extract(epoch FROM created_at)::float8 FROM outbox"
                           " WHERE type = 'ORDER_CREATED' AND key = ANY($1)",
                           ids);
    for (auto& p : placed) p.committed = committed.count(p.order_id) ? committed[p.order_id] : 0;
  }
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> consumers{
      {"stock",
       {"DATABASE_URL_STOCK",
        "SELECT key, extract(epoch FROM max(created_at))::float8 FROM outbox"
        " WHERE type IN ('STOCK_RESERVED', 'STOCK_REJECTED') AND key = ANY($1) GROUP BY key"}},
      {"shipping",
       {"DATABASE_URL_SHIPPING",
        "SELECT key, extract(epoch FROM created_at)::float8 FROM outbox"
        " WHERE type = 'SHIPMENT_CREATED' AND key = ANY($1)"}},
      {"notification",
       {"DATABASE_URL_NOTIFICATION",
        "SELECT order_id::text, extract(epoch FROM created_at)::float8 FROM notifications"
        " WHERE type = 'ORDER_CREATED' AND order_id = ANY($1::uuid[])"}},
  };
  std::map<std::string, std::map<std::string, double>> done;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (true) {
    bool complete = true;
    for (const auto& [name, source] : consumers) {
      done[name] = times(stack_var(source.first.c_str()), source.second, ids);
      complete = complete && done[name].size() == placed.size();
    }
    if (complete || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(200ms);
  }

  std::map<std::string, std::vector<double>> latency;  // ms, per consumer and "all"
  for (const auto& p : placed) {
    if (p.committed == 0) continue;
    double last = 0;
    bool all = true;
    for (const auto& [name, source] : consumers) {
      auto it = done[name].find(p.order_id);
      if (it == done[name].end()) {
        all = false;
        continue;
      }
      latency[name].push_back((it->second - p.committed) * 1000.0);
      last = std::max(last, it->second);
    }
    if (all) latency["all three"].push_back((last - p.committed) * 1000.0);
  }
  std::printf("{\"bench\":\"saga\",\"mode\":\"%s\",\"rate\":%d,\"orders\":%zu,\"achievedRate\":%.1f", mode.c_str(),
              rate, placed.size(), static_cast<double>(placed.size()) / sending_s);
  for (const auto& [name, v] : latency) {
    std::printf(",\"%s\":{\"n\":%zu,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f}", name.c_str(),
                v.size(), percentile(v, 0.50), percentile(v, 0.90), percentile(v, 0.99), percentile(v, 1.0));
    std::fprintf(stderr, "  %-13s n=%-5zu p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", name.c_str(),
                 v.size(), percentile(v, 0.50), percentile(v, 0.90), percentile(v, 0.99), percentile(v, 1.0));
  }
  std::printf("}\n");
  return latency["all three"].size() == placed.size() ? 0 : 1;
}
