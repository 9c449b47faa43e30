#pragma once
// Helpers for the stock, shipping, notification and saga integration tests: publish events to the
// stack's real topics (as the services' producers would), read what the services published there,
// call services with the identity headers the gateway sets, and read service databases.
// Header-only, shared by several test files.
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bus_fixture.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/producer.hpp"
#include "stack_env.hpp"

namespace shopmesh::testing::kit {

/// An envelope ready to publish: a fresh id, the given type/key/data, its own correlation id.
inline events::Envelope envelope(std::string type, std::string key, std::string data, int version = 1) {
  events::Envelope e;
  e.id = core::uuid_v7();
  e.type = std::move(type);
  e.version = version;
  e.occurred_at = events::now_rfc3339();
  e.producer = "it";
  e.key = std::move(key);
  e.correlation_id = "it-" + e.id;
  std::string trace = core::uuid_v7();
  trace.erase(std::remove(trace.begin(), trace.end(), '-'), trace.end());
  e.traceparent = "00-" + trace + "-" + trace.substr(16) + "-01";
  e.data = std::move(data);
  return e;
}

/// Publishes envelopes to a topic and waits for the broker's acknowledgement of each.
inline void publish(const std::string& topic, const std::vector<events::Envelope>& batch) {
  static core::Logger log("it-producer", core::LogLevel::warn);
  static std::mutex mutex;
  static events::Producer producer({stack_var("KAFKA_BROKERS"), "it-mesh"}, log);
  std::lock_guard lock(mutex);
  std::vector<events::Delivery> results(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!producer.send(topic, batch[i].key, events::encode(batch[i]), events::envelope_headers(batch[i]),
                       [&results, i](const events::Delivery& d) { results[i] = d; }))
      throw std::runtime_error("could not queue an event for " + topic);
  }
  if (!producer.flush(std::chrono::seconds(30))) throw std::runtime_error("publishing to " + topic + " timed out");
  for (const auto& r : results)
    if (!r.ok) throw std::runtime_error("publishing to " + topic + " failed: " + r.error);
}

/// Publishes one event; returns its envelope (to publish it again as a duplicate).
inline events::Envelope publish(const std::string& topic, const std::string& type, const std::string& key,
                                const std::string& data) {
  auto e = envelope(type, key, data);
  publish(topic, std::vector<events::Envelope>{e});
  return e;
}

/// A product the stack's stock service knows, with `units` available: PRODUCT_CREATED published to
/// catalog.events as the products service would, then waits until stock opened its level.
inline std::string stocked_product(std::int64_t units) {
  const std::string id = core::uuid_v7();
  const std::string data = R"({"productId":")" + id + R"(","sku":"IT-)" + id.substr(24) +
                           R"(","name":"Test widget","price":9.99,"category":null,"active":true,"stock":)" +
                           std::to_string(units) + R"(,"createdAt":")" + events::now_rfc3339() + R"("})";
  publish("catalog.events", "PRODUCT_CREATED", id, data);
  const std::string url = stack_var("STOCK_URL") + "/internal/stock/" + id;
  if (!eventually(
          [&] {
            return core::http_call({"GET", url, {}, "", std::chrono::seconds(5), &mesh()}).status == 200;
          },
          std::chrono::seconds(30)))
    throw std::runtime_error("the stock service never opened product " + id);
  return id;
}

/// Identity headers as the gateway sets them after verifying a token.
inline std::vector<std::pair<std::string, std::string>> as_user(const std::string& user_id,
                                                                const std::string& email = "") {
  std::vector<std::pair<std::string, std::string>> h{{"X-User-Id", user_id}, {"X-User-Role", "USER"}};
  if (!email.empty()) h.emplace_back("X-User-Email", email);
  return h;
}
inline std::vector<std::pair<std::string, std::string>> as_admin(const std::string& user_id) {
  return {{"X-User-Id", user_id}, {"X-User-Role", "ADMIN"}, {"X-User-Email", "admin@shopmesh.local"}};
}

inline core::HttpResult http(const std::string& method, const std::string& url, const std::string& body = "",
                             std::vector<std::pair<std::string, std::string>> headers = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  core::HttpCall c;
  c.method = method;
  c.url = url;
  c.body = body;
  c.headers = std::move(headers);
  if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
  c.timeout = timeout;
  c.mesh = &mesh();
  return core::http_call(c);
}

/// Parses a JSON body (an empty document on failure, so checks fail with a readable value).
inline rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (d.HasParseError()) d.SetNull();
  return d;
}

inline std::string str(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

/// Runs one read-only query on a service database and returns the first column of the first row.
template <class T, class... Args>
std::optional<T> scalar(const std::string& url, const std::string& sql, Args&&... args) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec_params(sql, std::forward<Args>(args)...);
  if (r.empty() || r[0][0].is_null()) return std::nullopt;
  return r[0][0].template as<T>();
}

/// Every row of a query, each as text columns.
template <class... Args>
std::vector<std::vector<std::string>> rows(const std::string& url, const std::string& sql, Args&&... args) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : tx.exec_params(sql, std::forward<Args>(args)...)) {
    std::vector<std::string> cols;
    for (const auto& f : row) cols.push_back(f.is_null() ? std::string("<null>") : f.template as<std::string>());
    out.push_back(std::move(cols));
  }
  return out;
}

/// A string member of an envelope's data, e.g. the data.reason of a published event.
inline std::string data_member(const events::Envelope& e, const char* name) {
  return str(json(e.data), name);
}

/// The events a service published on `topic` under `key`, oldest first, with every event it had
/// committed before the call: its outbox relay's slot is past them (testing::outbox_caught_up).
inline std::vector<events::Envelope> published(const std::string& database_url, std::string_view topic,
                                               const std::string& key) {
  if (!outbox_caught_up(database_url, std::chrono::seconds(30)))
    throw std::runtime_error("the outbox relay of a service database did not catch up in 30 s");
  return published_events(std::string(topic), key, 0, std::chrono::seconds(30));
}

/// How many of `events` are of `type`.
inline std::size_t count_type(const std::vector<events::Envelope>& events, std::string_view type) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [&](const events::Envelope& e) { return e.type == type; }));
}

}  // namespace shopmesh::testing::kit
