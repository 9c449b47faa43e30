#pragma once
// Helpers for the products, cart and orders integration tests: the services' URLs, products made
// fresh per test (unique SKUs and search words, so runs never collide), the outbox rows a service
// wrote, and a reader that finds one event on a real topic. Builds on the saga tests' mesh_kit.
#include <librdkafka/rdkafkacpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "../../saga/mesh_kit.hpp"
#include "shopmesh/core/json.hpp"

namespace shopmesh::testing::commerce {

namespace kit = testing::kit;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::string products_url() {
  return stack_var("PRODUCTS_URL");
}
inline std::string cart_url() {
  return stack_var("CART_URL");
}
inline std::string orders_url() {
  return stack_var("ORDERS_URL");
}
inline std::string gateway_url() {
  return stack_var("GATEWAY_URL");
}

inline const std::string& admin_id() {
  static const std::string id = core::uuid_v7();
  return id;
}
inline Headers admin() {
  return kit::as_admin(admin_id());
}

/// A random lower-case token, usable as a unique search word or SKU suffix.
inline std::string token() {
  std::string t = "w";
  for (char c : core::uuid_v7().substr(24))
    t.push_back(c >= '0' && c <= '9' ? static_cast<char>('g' + (c - '0')) : c);  // letters only: one search word
  return t;
}

struct NewProduct {
  NewProduct() = default;
  NewProduct(std::string name_, std::string description_ = "made by an integration test", std::string price_ = "19.99",
             std::string category_ = "", std::int64_t stock_ = 10, bool active_ = true)
      : name(std::move(name_)),
        description(std::move(description_)),
        price(std::move(price_)),
        category(std::move(category_)),
        stock(stock_),
        active(active_) {}
  std::string name = "Test product";
  std::string description = "made by an integration test";
  std::string price = "19.99";  // the JSON literal
  std::string category;         // empty: none
  std::int64_t stock = 10;
  bool active = true;
};

/// Creates a product through the products service as an administrator; returns its JSON.
inline rapidjson::Document create_product(const NewProduct& p = {}) {
  const std::string sku = "IT-" + core::uuid_v7().substr(19);
  std::string body = R"({"sku":")" + sku + R"(","name":")" + p.name + R"(","description":")" + p.description +
                     R"(","price":)" + p.price + R"(,"initialStock":)" + std::to_string(p.stock) + R"(,"active":)" +
                     (p.active ? "true" : "false");
  if (!p.category.empty()) body += R"(,"category":")" + p.category + "\"";
  body += "}";
  auto r = kit::http("POST", products_url() + "/api/products", body, admin());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return kit::json(r.body);
}

inline std::string create_product_id(const NewProduct& p = {}) {
  return kit::str(create_product(p), "id");
}

/// True once the stock service has opened the product's level (it consumed PRODUCT_CREATED).
inline bool stock_knows(const std::string& product_id) {
  return kit::http("GET", stack_var("STOCK_URL") + "/internal/stock/" + product_id).status == 200;
}

/// The (type, value) of each outbox row a service wrote for `key`, oldest first.
inline std::vector<std::pair<std::string, std::string>> outbox(const char* database_var, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& row :
       kit::rows(stack_var(database_var), "SELECT type, value FROM outbox WHERE key = $1 ORDER BY seq", key))
    out.emplace_back(row[0], row[1]);
  return out;
}

inline std::size_t count_type(const std::vector<std::pair<std::string, std::string>>& rows, const std::string& type) {
  std::size_t n = 0;
  for (const auto& [t, v] : rows) n += t == type ? 1 : 0;
  return n;
}

/// Reads `topic` from the beginning until a message with this key and event type arrives;
/// returns its value, or nullopt after `timeout`.
inline std::optional<std::string> find_on_topic(const std::string& topic, const std::string& key,
                                                const std::string& type, std::chrono::milliseconds timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", stack_var("KAFKA_BROKERS"), err);
  conf->set("group.id", "it-commerce-" + core::uuid_v7(), err);
  conf->set("auto.offset.reset", "earliest", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  REQUIRE(consumer);
  consumer->subscribe({topic});
  std::optional<std::string> found;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR || !m->key() || *m->key() != key || !m->headers()) continue;
    for (const auto& h : m->headers()->get_all())
      if (h.key() == "event-type" && h.value() &&
          std::string(static_cast<const char*>(h.value()), h.value_size()) == type)
        found.emplace(static_cast<const char*>(m->payload()), m->len());
  }
  consumer->close();
  return found;
}

/// The `data` object of an envelope as JSON text.
inline std::string data_of(const std::string& envelope_value) {
  auto d = kit::json(envelope_value);
  if (!d.IsObject() || !d.HasMember("data")) return {};
  return core::json::to_string(d["data"]);
}

}  // namespace shopmesh::testing::commerce
