#include <catch2/catch.hpp>

#include "config.hpp"
#include "routes.hpp"
#include "trace.hpp"

std::string_view default_routes_json();

using namespace shopmesh::gateway;

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

TEST_CASE("gateway routes: the shipped table rewrites the seeds' compatibility routes", "[gateway]") {
  auto table = RouteTable::parse(default_routes_json());
  CHECK(table.rewrite("POST", "/api/users/register") == "/api/auth/register");
  CHECK(table.rewrite("POST", "/api/users/login") == "/api/auth/login");
  CHECK_FALSE(table.rewrite("GET", "/api/users/login"));
  CHECK(table.rewrite("GET", "/api/auth/api-docs") == "/api/docs");
  CHECK(table.match("GET", "/api/products")->cache);
  CHECK(table.match("GET", "/api/orders/1")->auth == AuthPolicy::user);
}

TEST_CASE("gateway routes: invalid configuration names the entry", "[gateway]") {
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a"}]})"), Catch::Contains("routes[0]"));
  CHECK_THROWS_WITH(RouteTable::parse(R"({"routes":[{"prefix":"/a","service":"x","auth":"root"}]})"),
                    Catch::Contains("auth"));
  CHECK_THROWS(RouteTable::parse("not json"));
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

TEST_CASE("gateway trace: a valid traceparent is continued, anything else starts a trace", "[gateway]") {
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto t = continue_or_start_trace(incoming);
  CHECK(t.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t.traceparent.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  CHECK(t.traceparent.substr(36, 16) != "00f067aa0ba902b7");
  CHECK(t.traceparent.size() == 55);
  auto fresh = continue_or_start_trace("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  CHECK(fresh.trace_id != "00000000000000000000000000000000");
  CHECK(fresh.trace_id.size() == 32);
  CHECK(continue_or_start_trace("garbage").traceparent.size() == 55);
}
