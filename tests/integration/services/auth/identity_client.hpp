#pragma once
// Small helpers for the auth and users integration tests: HTTP calls against the real stack,
// JSON parsing, accounts made fresh for each test (unique e-mails, so runs never collide), and the
// events the services published on identity.events.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../../saga/mesh_kit.hpp"
#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"
#include "stack_env.hpp"

namespace shopmesh::identity_test {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline core::HttpResult call(const std::string& method, const std::string& url, const std::string& body = {},
                             Headers headers = {}, const std::string& content_type = "application/json") {
  core::HttpCall c;
  c.method = method;
  c.url = url;
  c.body = body;
  c.headers = std::move(headers);
  if (!body.empty()) c.headers.emplace_back("Content-Type", content_type);
  c.timeout = std::chrono::seconds(10);
  c.mesh = &testing::mesh();
  return core::http_call(c);
}

inline rapidjson::Document json(const core::HttpResult& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  INFO(r.body);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

inline std::string str(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.IsObject());
  INFO(name);
  REQUIRE(v.HasMember(name));
  REQUIRE(v[name].IsString());
  return v[name].GetString();
}

inline std::string auth_url() {
  return testing::stack_var("AUTH_URL");
}
inline std::string users_url() {
  return testing::stack_var("USERS_URL");
}
inline std::string gateway_url() {
  return testing::stack_var("GATEWAY_URL");
}

/// A unique, valid e-mail address.
inline std::string fresh_email(const std::string& tag = "user") {
  return tag + "-" + core::uuid_v7().substr(19) + "@it.shopmesh.test";
}

struct Account {
  std::string id;
  std::string email;
  std::string password;
  std::string name;
};

inline Account register_account(const std::string& name = "Test User", const std::string& base = auth_url()) {
  Account a{"", fresh_email(), "pw-" + core::uuid_v7().substr(24), name};
  auto r = call("POST", base + "/api/auth/register",
                R"({"email":")" + a.email + R"(","password":")" + a.password + R"(","name":")" + name + R"("})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  a.id = str(json(r), "id");
  return a;
}

struct Tokens {
  std::string access;
  std::string refresh;
  std::string sid;
};

inline core::HttpResult login_raw(const std::string& email, const std::string& password,
                                  const std::string& base = auth_url()) {
  return call("POST", base + "/api/auth/login", R"({"email":")" + email + R"(","password":")" + password + R"("})");
}

inline Tokens tokens_of(const core::HttpResult& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r);
  return {str(d, "access_token"), str(d, "refresh_token"), ""};
}

inline Tokens login(const std::string& email, const std::string& password, const std::string& base = auth_url()) {
  Tokens t = tokens_of(login_raw(email, password, base));
  auto v = call("POST", auth_url() + "/api/auth/verify", R"({"token":")" + t.access + R"("})");
  t.sid = str(json(v)["claims"], "sid");
  return t;
}

inline core::HttpResult refresh(const std::string& refresh_token, const std::string& base = auth_url()) {
  return call("POST", base + "/api/auth/refresh", R"({"refresh_token":")" + refresh_token + R"("})");
}

inline rapidjson::Document verify(const std::string& access) {
  return json(call("POST", auth_url() + "/api/auth/verify", R"({"token":")" + access + R"("})"));
}

inline Headers bearer(const std::string& access) {
  return {{"Authorization", "Bearer " + access}};
}

/// The identity headers the gateway sets for a verified token.
inline Headers as_user(const std::string& id, const std::string& email = {}, const std::string& role = "USER") {
  Headers h{{"X-User-Id", id}, {"X-User-Role", role}};
  if (!email.empty()) h.emplace_back("X-User-Email", email);
  return h;
}

inline Headers as_admin() {
  return as_user(core::uuid_v7(), "ops@it.shopmesh.test", "ADMIN");
}

/// The events of `type` a service published on identity.events for `key`, oldest first, with
/// every event it had committed before the call: `db_var` names the service's database URL.
inline std::vector<events::Envelope> identity_events(const char* db_var, const std::string& key,
                                                     const std::string& type) {
  std::vector<events::Envelope> out;
  for (auto& e : testing::kit::published(testing::stack_var(db_var), events::topic::identity, key))
    if (e.type == type) out.push_back(std::move(e));
  return out;
}

}  // namespace shopmesh::identity_test
