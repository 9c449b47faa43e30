#include <catch2/catch.hpp>
#include <cstdlib>

#include "shipped_routes.hpp"
#include "shopmesh/core/trace.hpp"
#include "shopmesh/gateway/config.hpp"
#include "shopmesh/gateway/dialects.hpp"
#include "shopmesh/gateway/routes.hpp"

using namespace shopmesh::gateway;
namespace core = shopmesh::core;

namespace {

AuthPolicy policy(std::string_view method, std::string_view path) {
  const Route* r = shipped().match(method, path);
  REQUIRE(r != nullptr);
  return r->auth;
}

}  // namespace

TEST_CASE("gateway routes: longest prefix on a segment boundary wins", "[gateway]") {
  auto table = RouteTable::parse(R"({"routes":[
    {"prefix":"/api/products","service":"products","auth":"public"},
    {"prefix":"/api/products/admin","service":"stock","auth":"admin"}]})");
  REQUIRE(table.match("GET", "/api/products") != nullptr);
  CHECK(table.match("GET", "/api/products/123")->service == "products");
  CHECK(table.match("GET", "/api/products/admin/x")->service == "stock");
  CHECK(table.match("GET", "/api/productsX") == nullptr);
  CHECK(table.match("GET", "/api") == nullptr);
}

TEST_CASE("gateway routes: exact paths, {param} segments and methods, the most specific wins", "[gateway]") {
  auto table = RouteTable::parse(R"({"routes":[
    {"prefix":"/api/users","service":"users","auth":"user"},
    {"path":"/api/users","methods":["GET"],"service":"users","auth":"admin"},
    {"path":"/api/users/{id}","methods":["DELETE"],"service":"users","auth":"admin"},
    {"prefix":"/api/orders","service":"orders","auth":"user"},
    {"path":"/api/orders/{id}/status","methods":["PATCH"],"service":"orders","auth":"admin","timeoutMs":500},
    {"prefix":"/api/products","methods":["GET"],"service":"products","auth":"public","cache":true},
    {"prefix":"/api/products","service":"products","auth":"admin","bodyLimit":2048}]})");
  CHECK(table.match("GET", "/api/users")->auth == AuthPolicy::admin);
  CHECK(table.match("HEAD", "/api/users")->auth == AuthPolicy::admin);  // GET admits HEAD
  CHECK(table.match("POST", "/api/users")->auth == AuthPolicy::user);
  CHECK(table.match("GET", "/api/users/me")->auth == AuthPolicy::user);
  CHECK(table.match("DELETE", "/api/users/42")->auth == AuthPolicy::admin);
  CHECK(table.match("DELETE", "/api/users/42/avatar")->auth == AuthPolicy::user);
  CHECK(table.match("PATCH", "/api/orders/7/status")->auth == AuthPolicy::admin);
  CHECK(table.match("PATCH", "/api/orders/7/status")->timeout == std::chrono::milliseconds(500));
  CHECK(table.match("GET", "/api/orders/7/status")->auth == AuthPolicy::user);
  CHECK(table.match("PATCH", "/api/orders/7")->auth == AuthPolicy::user);
  CHECK(table.match("GET", "/api/products/1")->cache);
  CHECK(table.match("PUT", "/api/products/1")->auth == AuthPolicy::admin);
  CHECK_FALSE(table.match("PUT", "/api/products/1")->cache);
  CHECK(table.max_body_limit() == 1024 * 1024);
  // Every route has its own index, in table order, for per-route metrics.
  for (std::size_t i = 0; i < table.routes().size(); ++i) CHECK(table.routes()[i].index == i);
}

TEST_CASE("gateway routes: paths are normalized the way the services' routers read them", "[gateway]") {
  CHECK(normalize_path("/api/products") == "/api/products");
  CHECK(normalize_path("/api//auth///me/") == "/api/auth/me");
  CHECK(normalize_path("/") == "/");
  CHECK(normalize_path("//") == "/");
  CHECK_FALSE(normalize_path("/api/auth/../users"));
  CHECK_FALSE(normalize_path("/api/./products"));
  CHECK_FALSE(normalize_path("/api/products/.."));
  CHECK_FALSE(normalize_path("api/products"));
  CHECK_FALSE(normalize_path("http://evil/api"));
  CHECK_FALSE(normalize_path(""));
  CHECK(normalize_path("/api/products/..x") == "/api/products/..x");  // only whole dot segments
  // "//" cannot sneak past a more specific route: /api/auth//me is /api/auth/me.
  CHECK(policy("GET", *normalize_path("/api/auth//me")) == AuthPolicy::user);
}

TEST_CASE("gateway routes: the shipped table", "[gateway]") {
  const auto& table = shipped();
  CHECK(table.rewrite("POST", "/api/users/register")->path == "/api/auth/register");
  CHECK(table.rewrite("POST", "/api/users/login")->path == "/api/auth/login");
  CHECK(table.rewrite("POST", "/api/users/logout")->path == "/api/auth/logout");
  CHECK(table.rewrite("POST", "/api/users/verify")->path == "/api/auth/verify");
  CHECK_FALSE(table.rewrite("GET", "/api/users/login"));
  CHECK(table.rewrite("GET", "/api/auth/api-docs")->path == "/api/docs");

  // auth: public, except the caller's own account (user) and role changes (admin)
  CHECK(policy("POST", "/api/auth/login") == AuthPolicy::public_access);
  CHECK(table.match("POST", "/api/auth/login")->rate_class == "login");
  CHECK(table.match("POST", "/api/auth/register")->rate_class == "register");
  CHECK(policy("POST", "/api/auth/register") == AuthPolicy::public_access);
  CHECK(policy("POST", "/api/auth/refresh") == AuthPolicy::public_access);
  CHECK(table.match("POST", "/api/auth/refresh")->rate_class == "auth");
  CHECK(policy("POST", "/api/auth/verify") == AuthPolicy::public_access);
  CHECK(policy("GET", "/api/auth/jwks.json") == AuthPolicy::public_access);
  CHECK(policy("POST", "/api/auth/logout") == AuthPolicy::user);
  CHECK(policy("GET", "/api/auth/me") == AuthPolicy::user);
  CHECK(policy("PUT", "/api/auth/password") == AuthPolicy::user);
  CHECK(policy("PATCH", "/api/auth/users/0190a0f0-0000-7000-8000-000000000001/role") == AuthPolicy::admin);

  // users: a valid identity everywhere; listing and deleting are admin at the gateway too
  CHECK(policy("GET", "/api/users/me") == AuthPolicy::user);
  CHECK(policy("PATCH", "/api/users/me") == AuthPolicy::user);
  CHECK(policy("GET", "/api/users/123") == AuthPolicy::user);
  CHECK(policy("PUT", "/api/users/123") == AuthPolicy::user);
  CHECK(policy("GET", "/api/users") == AuthPolicy::admin);
  CHECK(policy("DELETE", "/api/users/123") == AuthPolicy::admin);

  // catalog: public cached reads, admin writes
  CHECK(policy("GET", "/api/products") == AuthPolicy::public_access);
  CHECK(table.match("GET", "/api/products")->cache);
  CHECK(table.match("GET", "/api/products/1")->cache);
  CHECK(table.match("GET", "/api/categories")->cache);
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"}) {
    CHECK(policy(m, "/api/products/1") == AuthPolicy::admin);
    CHECK_FALSE(table.match(m, "/api/products/1")->cache);
  }
  CHECK(policy("PATCH", "/api/products/1/stock") == AuthPolicy::admin);
  CHECK(policy("POST", "/api/categories") == AuthPolicy::admin);

  CHECK(policy("GET", "/api/cart") == AuthPolicy::user);
  CHECK(policy("POST", "/api/cart/checkout") == AuthPolicy::user);
  CHECK(policy("GET", "/api/orders/1") == AuthPolicy::user);
  CHECK(policy("POST", "/api/orders/1/cancel") == AuthPolicy::user);
  CHECK(policy("PATCH", "/api/orders/1/status") == AuthPolicy::admin);
  CHECK(policy("GET", "/api/shipments") == AuthPolicy::user);
  CHECK(policy("GET", "/api/notifications") == AuthPolicy::user);
  CHECK(table.match("GET", "/api/nothing") == nullptr);
  for (const auto& r : table.routes()) {
    INFO(r.pattern);
    bool known = false;
    for (const auto& [service, var] : known_services()) known = known || service == r.service;
    CHECK(known);
  }
}

TEST_CASE("gateway routes: rewrites match {param} segments, the first wins, may change the method and name a transform",
          "[gateway]") {
  auto table = RouteTable::parse(R"({"rewrites":[
    {"method":"GET","from":"/orders/my-orders","to":"/api/orders","transform":"seed003.orders"},
    {"method":"GET","from":"/orders/{id}","to":"/api/orders/{id}"},
    {"method":"PUT","from":"/books/{id}","to":"/api/products/{id}","toMethod":"PATCH","transform":"seed003.book"},
    {"from":"/a/{x}/b/{y}","to":"/c/{y}/{x}"}],
    "dialects":[{"prefix":"/books","dialect":"seed003"}],
    "routes":[{"prefix":"/api","service":"x"}]})");
  const auto book = table.rewrite("PUT", "/books/42");
  REQUIRE(book);
  CHECK(book->path == "/api/products/42");
  CHECK(book->rule->to_method == "PATCH");
  CHECK(book->rule->transform == find_transform("seed003.book"));
  CHECK_FALSE(table.rewrite("POST", "/books/42"));
  CHECK_FALSE(table.rewrite("PUT", "/books/42/x"));
  CHECK_FALSE(table.rewrite("PUT", "/books"));
  CHECK(table.rewrite("DELETE", "/a/1/b/2")->path == "/c/2/1");
  CHECK(table.rewrite("GET", "/orders/my-orders")->rule->transform == find_transform("seed003.orders"));
  CHECK(table.rewrite("GET", "/orders/7")->rule->transform == nullptr);
  CHECK(table.rewrite("HEAD", "/orders/7")->path == "/api/orders/7");  // GET admits HEAD
  CHECK(table.dialect_at("/books/42") == find_dialect("seed003"));
  CHECK(table.dialect_at("/books") == find_dialect("seed003"));
  CHECK(table.dialect_at("/booksX") == nullptr);
  CHECK(table.dialect_at("/") == nullptr);
}

TEST_CASE("gateway routes: the shipped seed 003 rewrites", "[gateway]") {
  const auto& table = shipped();
  const std::string id = "0190a0f0-0000-7000-8000-000000000001";
  CHECK(table.rewrite("GET", "/books")->rule->transform == find_transform("seed003.books"));
  CHECK(table.rewrite("POST", "/books")->rule->transform == find_transform("seed003.book"));
  CHECK(table.rewrite("GET", "/books/" + id)->path == "/api/products/" + id);
  const auto put = table.rewrite("PUT", "/books/" + id);
  CHECK(put->path == "/api/products/" + id);
  CHECK(put->rule->to_method == "PATCH");
  CHECK(table.rewrite("DELETE", "/books/" + id)->rule->transform == nullptr);
  CHECK(table.rewrite("POST", "/orders")->rule->transform == find_transform("seed003.order"));
  CHECK(table.rewrite("GET", "/orders/my-orders")->path == "/api/orders");
  CHECK_FALSE(table.rewrite("GET", "/orders"));
  CHECK_FALSE(table.rewrite("PATCH", "/books/" + id));
}

TEST_CASE("gateway routes: the shipped seed 004 rewrites, /api/v1 claimed by its dialect", "[gateway]") {
  const auto& table = shipped();
  const auto search = table.rewrite("GET", "/api/v1/products/search");  // listed before products/{id}
  CHECK(search->path == "/api/products");
  CHECK(search->rule->transform == find_transform("seed004.products"));
  CHECK(table.rewrite("GET", "/api/v1/products/7")->rule->transform == find_transform("seed004.product"));
  CHECK(table.rewrite("PUT", "/api/v1/products/7")->rule->to_method == "PATCH");
  CHECK(table.rewrite("POST", "/api/v1/cart/add")->path == "/api/cart/items");
  CHECK(table.rewrite("DELETE", "/api/v1/cart")->path == "/api/cart");
  CHECK(table.rewrite("POST", "/api/v1/orders")->rule->transform == find_transform("seed004.order"));
  CHECK(table.rewrite("GET", "/api/v1/users")->rule->transform == find_transform("seed004.users"));
  CHECK_FALSE(table.rewrite("PATCH", "/api/v1/products/7"));
  // "search" is a resource of its own (GET only), not a product id.
  CHECK_FALSE(table.rewrite("PUT", "/api/v1/products/search"));
  CHECK_FALSE(table.rewrite("DELETE", "/api/v1/products/search"));
  CHECK(table.rewrite_methods("/api/v1/products/search") == "GET, HEAD");
  for (const auto& t : {"seed004.data", "seed004.login", "seed004.cart"})
    CHECK(find_transform(t)->dialect == find_dialect("seed004"));
  CHECK(table.dialect_at("/api/v1/anything/at/all") == find_dialect("seed004"));
  CHECK(table.dialect_at("/api/products") == nullptr);
}

TEST_CASE("gateway routes: the methods a seed's path takes, for the Allow of a 405", "[gateway]") {
  const auto& table = shipped();
  CHECK(table.rewrite_methods("/books") == "GET, HEAD, POST");
  CHECK(table.rewrite_methods("/books/7") == "DELETE, GET, HEAD, PUT");
  CHECK(table.rewrite_methods("/orders") == "POST");
  CHECK(table.rewrite_methods("/orders/my-orders") == "GET, HEAD");
  CHECK(table.rewrite_methods("/api/v1/products/7") == "DELETE, GET, HEAD, PUT");
  CHECK(table.rewrite_methods("/api/v1/cart") == "DELETE, GET, HEAD");
  CHECK(table.rewrite_methods("/api/auth/api-docs").empty());  // any method is rewritten
  CHECK(table.rewrite_methods("/books/7/pages").empty());
  CHECK(table.rewrite_methods("/api/products").empty());
}

TEST_CASE("gateway routes: invalid configuration names the entry", "[gateway]") {
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a"}]})"), Catch::Contains("routes[0]"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","service":"x","auth":"root"}]})"),
                    Catch::Contains("auth"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","path":"/a","service":"x"}]})"),
                    Catch::Contains("exactly one"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"service":"x"}]})"), Catch::Contains("exactly one"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a/../b","service":"x"}]})"),
                    Catch::Contains("routes[0]"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","service":"x","methods":["get"]}]})"),
                    Catch::Contains("upper-case"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","service":"x","methods":[]}]})"),
                    Catch::Contains("methods"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","service":"x","timeoutMs":0}]})"),
                    Catch::Contains("timeoutMs"));
  CHECK_THROWS(RouteTable::parse("not json"));
  auto rewrite = [](std::string_view entry) {
    return RouteTable::parse(R"({"routes":[],"rewrites":[)" + std::string(entry) + "]}");
  };
  CHECK_THROWS_WITH(rewrite(R"({"from":"/a","to":"/b","transform":"seed999.x"})"),
                    Catch::Contains("rewrites[0]") && Catch::Contains("unknown transform"));
  CHECK_THROWS_WITH(rewrite(R"({"from":"/a/{x}","to":"/b/{y}"})"), Catch::Contains("{y}"));
  CHECK_THROWS_WITH(rewrite(R"({"from":"/a","to":"/b","toMethod":"patch"})"), Catch::Contains("upper-case"));
  CHECK_THROWS_WITH(rewrite(R"({"from":"/a","to":"/b?x=1"})"), Catch::Contains("'to'"));
  CHECK_THROWS_WITH(rewrite(R"({"from":"a","to":"/b"})"), Catch::Contains("'from'"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[],"dialects":[{"prefix":"/v1","dialect":"nope"}]})"),
                    Catch::Contains("dialects[0]") && Catch::Contains("unknown dialect"));
}

TEST_CASE("gateway config: upstream URL lists", "[gateway]") {
  std::vector<UpstreamAddress> out;
  REQUIRE(parse_upstream_urls("http://127.0.0.1:8081, http://10.0.0.2:9000/", out));
  REQUIRE(out.size() == 2);
  CHECK(out[1].host == "10.0.0.2");
  CHECK(out[1].port == 9000);
  std::vector<UpstreamAddress> bad;
  CHECK_FALSE(parse_upstream_urls("https://x:1", bad));
  CHECK_FALSE(parse_upstream_urls("http://x:0", bad));
  CHECK_FALSE(parse_upstream_urls("http://x", bad));
}

TEST_CASE("gateway config: defaults, rate-limit variables and JWKS URL", "[gateway]") {
  for (const auto& rc : rate_class_defaults()) unsetenv(rc.variable);
  unsetenv("JWKS_URL");
  setenv("AUTH_URL", "http://10.1.1.1:9001,http://10.1.1.2:9001", 1);
  unsetenv("MESH_KEY");
  {
    shopmesh::core::EnvReader env;
    GatewayConfig::from_env(env);
    CHECK_THROWS_WITH(env.finish(), Catch::Contains("MESH_KEY is required"));  // it signs what it forwards
  }
  setenv("MESH_KEY", "0123456789abcdef0123456789abcdef", 1);
  {
    shopmesh::core::EnvReader env;
    auto c = GatewayConfig::from_env(env);
    REQUIRE_NOTHROW(env.finish());
    CHECK(c.jwt_issuer == "shopmesh");
    CHECK(c.jwt_audience == "shopmesh-api");
    REQUIRE(c.jwks_urls.size() == 2);
    CHECK(c.jwks_urls[0] == "http://10.1.1.1:9001/api/auth/jwks.json");
    CHECK(c.rate_classes.size() == rate_class_defaults().size());
    for (const auto& [name, spec] : c.rate_classes) CHECK(spec.enabled);
    CHECK(c.consumer_group.rfind("gateway-", 0) == 0);
    CHECK(c.cache_topics == std::vector<std::string>{"catalog.events", "stock.events"});
  }
  setenv("RATE_LIMIT_LOGIN", "5/m burst 5", 1);
  setenv("RATE_LIMIT_DEFAULT", "off", 1);
  setenv("JWKS_URL", "http://auth.internal:1/keys", 1);
  {
    shopmesh::core::EnvReader env;
    auto c = GatewayConfig::from_env(env);
    REQUIRE_NOTHROW(env.finish());
    for (const auto& [name, spec] : c.rate_classes) {
      if (name == "login") {
        CHECK(spec.burst == 5);
        CHECK(spec.per_second == Approx(5.0 / 60));
      }
      if (name == "default") CHECK_FALSE(spec.enabled);
    }
    CHECK(c.jwks_urls == std::vector<std::string>{"http://auth.internal:1/keys"});
  }
  setenv("RATE_LIMIT_LOGIN", "lots", 1);
  {
    shopmesh::core::EnvReader env;
    GatewayConfig::from_env(env);
    CHECK_THROWS_WITH(env.finish(), Catch::Contains("RATE_LIMIT_LOGIN"));
  }
  unsetenv("RATE_LIMIT_LOGIN");
  unsetenv("RATE_LIMIT_DEFAULT");
  unsetenv("JWKS_URL");
  unsetenv("MESH_KEY");
  unsetenv("AUTH_URL");
}

TEST_CASE("gateway trace: a valid traceparent is continued, anything else starts a trace", "[gateway]") {
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto t = core::continue_or_start_trace(incoming);
  CHECK(t.trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t.traceparent.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  CHECK(t.traceparent.substr(36, 16) != "00f067aa0ba902b7");
  CHECK(t.traceparent.size() == 55);
  auto fresh = core::continue_or_start_trace("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  CHECK(fresh.trace_id() != "00000000000000000000000000000000");
  CHECK(fresh.trace_id().size() == 32);
  CHECK(core::continue_or_start_trace("garbage").traceparent.size() == 55);
  CHECK(core::is_valid_traceparent(incoming));
  CHECK_FALSE(core::is_valid_traceparent("garbage"));
  CHECK(core::is_valid_traceparent(core::continue_or_start_trace("").traceparent));
  // The caller's flags go on (not sampled stays not sampled); a new trace is sampled.
  const std::string unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
  CHECK(core::continue_or_start_trace(unsampled).traceparent.ends_with("-00"));
  CHECK(core::continue_or_start_trace("").traceparent.ends_with("-01"));
}
