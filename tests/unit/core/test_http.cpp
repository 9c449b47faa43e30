#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"

using namespace shopmesh::core;

namespace {

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

}  // namespace

TEST_CASE("http: router matches patterns, captures params, reports 405 paths", "[http]") {
  Router router;
  router.add("GET", "/api/products", [](Request&) { return Response::json(200, "list"); });
  router.add("GET", "/api/products/{id}", [](Request& r) { return Response::json(200, r.param("id")); });
  Request req = request("GET", "/api/products/abc%20d");
  auto m = router.match(req);
  REQUIRE(m.handler != nullptr);
  CHECK((*m.handler)(req).body == "abc d");
  CHECK(m.pattern == "/api/products/{id}");

  Request post = request("POST", "/api/products");
  auto m2 = router.match(post);
  CHECK(m2.handler == nullptr);
  CHECK(m2.path_matched);
  CHECK(m2.allow == "GET, HEAD");
  router.add("DELETE", "/api/products/{id}", [](Request&) { return Response::no_content(); });
  Request trace = request("TRACE", "/api/products/x");
  CHECK(router.match(trace).allow == "GET, HEAD, DELETE");

  Request missing = request("GET", "/api/nothing");
  CHECK_FALSE(router.match(missing).path_matched);

  // A parameter that is not percent-encoding matches no pattern; each parameter is decoded.
  router.add("GET", "/api/orders/{order}/items/{item}", [](Request& r) {
    return Response::json(200, r.param("order") + "|" + r.param("item") + "|" + r.param("absent"));
  });
  for (const char* bad : {"/api/products/a%2", "/api/products/%zz", "/api/products/x%4g"}) {
    Request r = request("GET", bad);
    INFO(bad);
    CHECK_FALSE(router.match(r).path_matched);
  }
  Request two = request("GET", "/api/orders/o%2F1/items/%C3%A9");
  auto m3 = router.match(two);
  REQUIRE(m3.handler != nullptr);
  CHECK((*m3.handler)(two).body == "o/1|é|");
}

TEST_CASE("http: router prefers the most literal pattern, as OpenAPI does, and another method there is 405", "[http]") {
  Router router;
  router.add("GET", "/api/users/me", [](Request&) { return Response::json(200, "me"); });
  router.add("PATCH", "/api/users/me", [](Request&) { return Response::json(200, "me patched"); });
  router.add("GET", "/api/users/{id}", [](Request& r) { return Response::json(200, r.param("id")); });
  router.add("PUT", "/api/users/{id}", [](Request& r) { return Response::json(200, r.param("id")); });
  const auto match = [&](std::string method, std::string path) {
    Request req = request(std::move(method), std::move(path));
    auto m = router.match(req);
    return std::pair{m, m.handler ? (*m.handler)(req).body : ""};
  };
  CHECK(match("GET", "/api/users/me").second == "me");
  CHECK(match("PUT", "/api/users/7").second == "7");
  // "me" is its own resource: {id} does not take PUT for it.
  const auto [put_me, body] = match("PUT", "/api/users/me");
  CHECK(put_me.handler == nullptr);
  CHECK(put_me.path_matched);
  CHECK(put_me.allow == "GET, HEAD, PATCH");
  CHECK(match("QUERY", "/api/users/7").first.allow == "GET, HEAD, PUT");
}

TEST_CASE("http: query parameters are percent-decoded", "[http]") {
  CHECK(find_query_param("q=red+shoes&limit=5", "q") == "red shoes");
  CHECK(find_query_param("q=a%26b", "q") == "a&b");
  CHECK(find_query_param("flag&x=1", "flag") == "");
  CHECK_FALSE(find_query_param("a=1", "b"));
  CHECK_FALSE(percent_decode("%zz", false));
  CHECK_FALSE(percent_decode("%4", false));
  CHECK(percent_decode("a+b", false) == "a+b");  // nothing to decode: the text as it is
  CHECK(percent_decode("a+b", true) == "a b");
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
    FAIL("expected a DomainError");
  } catch (const DomainError& e) {
    CHECK(status_of(e.fault()) == 400);
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].field == "body");
  }
  CHECK_THROWS_AS(json::parse_object("[1,2]"), DomainError);
}

TEST_CASE("http: headers are case-insensitive", "[http]") {
  Headers h;
  h.add("X-User-Id", "1");
  CHECK(h.get("x-user-id") == "1");
  h.remove("X-USER-ID");
  CHECK_FALSE(h.get("x-user-id"));
  h.add("X-[A]", "2");  // '[' and '{' differ by the case bit, but are no letters
  CHECK(h.get("x-[a]") == "2");
  CHECK_FALSE(h.get("X-{A}"));
  CHECK(h.count("X-[a]") == 1);
}

TEST_CASE("http: a header list keeps its fields in order, through set, remove and a copied head", "[http]") {
  Headers h;
  {
    // Fields read from a head are views into bytes that are gone once the list has them.
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Two: b c\r\nhost: d\r\n\r\n";
    const std::string_view t = head;
    h.assign(t, {{t.substr(16, 4), t.substr(22, 1)}, {t.substr(25, 5), t.substr(32, 3)}, {t.substr(37, 4), t.substr(43, 1)}});
    head.assign(head.size(), '#');
  }
  REQUIRE(h.size() == 3);
  CHECK(h[0] == Headers::Field{"Host", "a"});
  CHECK(h[1] == Headers::Field{"X-Two", "b c"});
  CHECK(h.get("HOST") == "a");  // the first of two
  CHECK(h.count("host") == 2);
  h.set("x-two", "e");  // replaces every field of that name, at the end
  h.add("Empty", "");
  std::vector<Headers::Field> all(h.begin(), h.end());
  CHECK(all == std::vector<Headers::Field>{{"Host", "a"}, {"host", "d"}, {"x-two", "e"}, {"Empty", ""}});
  h.remove("HOST");
  CHECK(h.size() == 2);
  CHECK(h.get("empty") == "");
  CHECK_FALSE(h.get("host"));
}

TEST_CASE("http: query and form values must be percent-encoded UTF-8 without NUL (else 400 naming them)",
          "[http][hostile]") {
  Request req;
  req.query = "q=caf%C3%A9&bad=%ff%fe&nul=a%00b&half=%e2%80&esc=%zz&cut=%4&plain=x";
  CHECK(req.query_param("q") == "café");
  CHECK(req.query_param("plain") == "x");
  CHECK_FALSE(req.query_param("absent"));
  for (const char* name : {"bad", "nul", "half", "esc", "cut"}) {
    INFO(name);
    try {
      req.query_param(name);
      FAIL("expected a DomainError");
    } catch (const DomainError& e) {
      CHECK(status_of(e.fault()) == 400);
      REQUIRE(e.errors().size() == 1);
      CHECK(e.errors()[0].field == name);
    }
  }
  // Form bodies take the same rule; the lenient lookup still treats a malformed value as missing.
  CHECK(strict_query_param("username=a%40b.co&password=p%26w", "username") == "a@b.co");
  CHECK_THROWS_AS(strict_query_param("username=%c0%af", "username"), DomainError);
  CHECK_FALSE(find_query_param("q=%zz", "q"));
}

TEST_CASE("http: UTF-8 validation refuses overlong forms, surrogates and truncated sequences", "[http][hostile]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // U+D800
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  CHECK_FALSE(is_valid_utf8("a\x80"));             // stray continuation byte
}

TEST_CASE("http: JSON bodies with invalid UTF-8 become 400 naming the body", "[http][hostile]") {
  try {
    json::parse_object("{\"email\":\"a\xff@example.com\"}");
    FAIL("expected a DomainError");
  } catch (const DomainError& e) {
    CHECK(status_of(e.fault()) == 400);
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].field == "body");
  }
  CHECK(json::parse_object("{\"name\":\"caf\xc3\xa9\"}")["name"].GetString() == std::string("caf\xc3\xa9"));
}

TEST_CASE("http: JSON bodies nested a million deep are parsed without recursion", "[http][hostile]") {
  // A recursive parse of these overflows a worker thread's stack: one request would kill a service.
  const std::string deep_array(1'000'000, '[');
  CHECK_THROWS_AS(json::parse_object(deep_array), DomainError);
  const std::string deep_member = "{\"a\":" + std::string(500'000, '[') + std::string(500'000, ']') + "}";
  CHECK(json::parse_object(deep_member).IsObject());
}

TEST_CASE("http: an escaped lone surrogate in a JSON string is a 400, not bytes PostgreSQL refuses",
          "[http][hostile]") {
  for (const char* body : {R"({"name":"\udcff"})", R"({"\udc00":"x"})", R"({"a":{"b":["ok","x\ude00y"]}})"}) {
    INFO(body);
    CHECK_THROWS_AS(json::parse_object(body), DomainError);
  }
  CHECK(json::parse_object(R"({"name":"\ud83d\ude00"})")["name"].GetString() == std::string("\xf0\x9f\x98\x80"));
}
