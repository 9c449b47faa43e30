#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"

using namespace shopmesh::core;

TEST_CASE("http: router matches patterns, captures params, reports 405 paths", "[http]") {
  Router router;
  router.add("GET", "/api/products", [](Request&) { return Response::json(200, "list"); });
  router.add("GET", "/api/products/{id}", [](Request& r) { return Response::json(200, r.param("id")); });
  Request req;
  req.method = "GET";
  req.path = "/api/products/abc%20d";
  auto m = router.match(req);
  REQUIRE(m.handler != nullptr);
  CHECK((*m.handler)(req).body == "abc d");
  CHECK(m.pattern == "/api/products/{id}");

  Request post;
  post.method = "POST";
  post.path = "/api/products";
  auto m2 = router.match(post);
  CHECK(m2.handler == nullptr);
  CHECK(m2.path_matched);

  Request missing;
  missing.method = "GET";
  missing.path = "/api/nothing";
  CHECK_FALSE(router.match(missing).path_matched);
}

TEST_CASE("http: query parameters are percent-decoded", "[http]") {
  CHECK(find_query_param("q=red+shoes&limit=5", "q") == "red shoes");
  CHECK(find_query_param("q=a%26b", "q") == "a&b");
  CHECK(find_query_param("flag&x=1", "flag") == "");
  CHECK_FALSE(find_query_param("a=1", "b"));
  CHECK_FALSE(percent_decode("%zz", false));
  CHECK_FALSE(percent_decode("%4", false));
}

TEST_CASE("http: problem+json carries status, detail, request id and field errors", "[http]") {
  auto body = problem_json(400, "Bad Request", "Invalid input.", "/api/x", "rid-1", {{"email", "is required"}});
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE(d.IsObject());
  CHECK(d["status"].GetInt() == 400);
  CHECK(std::string(d["requestId"].GetString()) == "rid-1");
  CHECK(std::string(d["errors"][0]["field"].GetString()) == "email");
}

TEST_CASE("http: malformed JSON bodies become 400 naming the body", "[http]") {
  try {
    json::parse_object("{\"a\":");
    FAIL("expected a ClientError");
  } catch (const ClientError& e) {
    CHECK(e.status() == 400);
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].field == "body");
  }
  CHECK_THROWS_AS(json::parse_object("[1,2]"), ClientError);
}

TEST_CASE("http: headers are case-insensitive", "[http]") {
  Headers h;
  h.add("X-User-Id", "1");
  CHECK(h.get("x-user-id") == "1");
  h.remove("X-USER-ID");
  CHECK_FALSE(h.get("x-user-id"));
}
