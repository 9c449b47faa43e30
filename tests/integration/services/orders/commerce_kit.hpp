#pragma once
// Helpers for the products, cart and orders integration tests: the services' URLs, products made
// fresh per test (unique SKUs and search words, so runs never collide), and the events a service
// published on a real topic. Builds on the saga tests' mesh_kit.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "../../saga/mesh_kit.hpp"

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

/// The events a service published on `topic` under `key`, oldest first, with every event it had
/// committed before the call; `database_var` names the service's database URL.
inline std::vector<events::Envelope> published(const char* database_var, std::string_view topic,
                                               const std::string& key) {
  return kit::published(stack_var(database_var), topic, key);
}
using kit::count_type;

/// The first event of `type` published on `topic` under `key`, waiting up to `timeout` for it.
inline std::optional<events::Envelope> first_published(std::string_view topic, const std::string& key,
                                                       const std::string& type, std::chrono::milliseconds timeout) {
  auto found = published_events(
      std::string(topic), [&](const events::Envelope& e) { return e.key == key && e.type == type; }, 1, timeout);
  if (found.empty()) return std::nullopt;
  return found.front();
}

}  // namespace shopmesh::testing::commerce
