// Rate limiter, response cache, CORS and the docs site: the gateway's plain-logic pieces.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "shopmesh/gateway/cors.hpp"
#include "shopmesh/gateway/docs_site.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/response_cache.hpp"

using namespace shopmesh::gateway;
using namespace std::chrono_literals;

TEST_CASE("gateway rate limit: specs", "[gateway]") {
  auto a = RateSpec::parse("100/s burst 200");
  REQUIRE(a);
  CHECK(a->enabled);
  CHECK(a->per_second == 100);
  CHECK(a->burst == 200);
  auto b = RateSpec::parse(" 5/m ");
  REQUIRE(b);
  CHECK(b->per_second == Approx(5.0 / 60));
  CHECK(b->burst == 5);
  CHECK(RateSpec::parse("3600/h")->per_second == Approx(1));
  CHECK(RateSpec::parse("0.5/s")->burst == 1);
  CHECK_FALSE(RateSpec::parse("off")->enabled);
  for (const char* bad :
       {"", "100", "100/d", "-1/s", "x/s", "100/s burst", "100/s burst 0", "100/s bursts 2", "100/s burst 2 more"})
    CHECK_FALSE(RateSpec::parse(bad));
}

TEST_CASE("gateway rate limit: a burst, then 429 with Retry-After, then refill", "[gateway]") {
  RateLimiter limiter({{"login", *RateSpec::parse("2/s burst 3")}, {"off", RateSpec{}}});
  const int id = limiter.class_id("login");
  REQUIRE(id == 0);
  CHECK(limiter.class_id("nope") == -1);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  auto d1 = limiter.check(id, "10.0.0.1", t0);
  CHECK(d1.enabled);
  CHECK(d1.allowed);
  CHECK(d1.limit == 3);
  CHECK(d1.remaining == 2);
  CHECK(d1.reset_s == 1);
  CHECK(limiter.check(id, "10.0.0.1", t0).allowed);
  auto d3 = limiter.check(id, "10.0.0.1", t0);
  CHECK(d3.allowed);
  CHECK(d3.remaining == 0);
  CHECK(d3.reset_s == 2);  // 3 tokens at 2/s
  auto d4 = limiter.check(id, "10.0.0.1", t0);
  CHECK_FALSE(d4.allowed);
  CHECK(d4.retry_after_s == 1);
  CHECK(limiter.check(id, "10.0.0.2", t0).allowed);          // another client has its own bucket
  CHECK(limiter.check(id, "10.0.0.1", t0 + 500ms).allowed);  // one token back after 0.5 s
  CHECK_FALSE(limiter.check(id, "10.0.0.1", t0 + 500ms).allowed);

  auto off = limiter.check(limiter.class_id("off"), "10.0.0.1", t0);
  CHECK_FALSE(off.enabled);
  CHECK(off.allowed);
  CHECK_FALSE(limiter.check(-1, "x", t0).enabled);
}

TEST_CASE("gateway rate limit: slow refill classes compute long Retry-After", "[gateway]") {
  RateLimiter limiter({{"login", *RateSpec::parse("5/m burst 5")}});
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.check(0, "ip", t0).allowed);
  auto d = limiter.check(0, "ip", t0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_s == 12);
  CHECK(d.reset_s == 60);
}

TEST_CASE("gateway rate limit: idle buckets are swept, the key count is capped", "[gateway]") {
  RateLimiter limiter({{"default", *RateSpec::parse("10/s burst 10")}}, 32);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  for (int i = 0; i < 1000; ++i) limiter.check(0, "client-" + std::to_string(i), t0);
  CHECK(limiter.size() <= 32);  // beyond the cap, new keys are not tracked (fail open)
  CHECK(limiter.check(0, "client-new", t0).allowed);
  CHECK(limiter.sweep(t0 + 50ms) > 0);  // not yet refilled: kept
  CHECK(limiter.sweep(t0 + 2s) == 0);   // full again: nothing worth remembering
  CHECK(limiter.size() == 0);
}

TEST_CASE("gateway rate limit: client keys", "[gateway]") {
  CHECK(client_rate_key("127.0.0.1") == "127.0.0.1");
  CHECK(client_rate_key("::ffff:10.1.2.3") == "10.1.2.3");
  CHECK(client_rate_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(client_rate_key("2001:db8:1:2::1") == client_rate_key("2001:db8:1:2:ffff::9"));
  CHECK(client_rate_key("not an ip") == "not an ip");
}

TEST_CASE("gateway cache: hit, TTL, LRU bounds, non-200 and generation guard", "[gateway]") {
  ResponseCache cache({3, 1 << 20, 4096, 30s});
  const auto t0 = ResponseCache::Clock::time_point{} + 1000s;
  auto response = [](std::string body, int status = 200) {
    CachedResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = std::move(body);
    return r;
  };
  CHECK(cache.get("/api/products", t0) == nullptr);
  REQUIRE(cache.put("/api/products", response("[1]"), cache.generation(), t0));
  auto hit = cache.get("/api/products", t0 + 1s);
  REQUIRE(hit);
  CHECK(hit->body == "[1]");
  CHECK(hit->headers.size() == 1);
  CHECK(cache.get("/api/products?page=2", t0) == nullptr);  // the query is part of the key
  CHECK(cache.get("/api/products", t0 + 30s) == nullptr);   // expired
  CHECK(cache.size() == 0);

  CHECK_FALSE(cache.put("/404", response("{}", 404), cache.generation(), t0));
  CHECK_FALSE(cache.put("/big", response(std::string(8192, 'x')), cache.generation(), t0));

  for (int i = 0; i < 4; ++i) cache.put("/p/" + std::to_string(i), response("x"), cache.generation(), t0);
  CHECK(cache.size() == 3);
  CHECK(cache.get("/p/0", t0) == nullptr);  // least recently used went first
  CHECK(cache.get("/p/1", t0) != nullptr);
  cache.put("/p/4", response("x"), cache.generation(), t0);
  CHECK(cache.get("/p/1", t0) != nullptr);  // refreshed by the get above
  CHECK(cache.get("/p/2", t0) == nullptr);

  // A response fetched before an invalidation must not be stored after it.
  const auto before = cache.generation();
  cache.invalidate_all();
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.put("/stale", response("old"), before, t0));
  CHECK(cache.get("/stale", t0) == nullptr);
  CHECK(cache.put("/fresh", response("new"), cache.generation(), t0));
}

TEST_CASE("gateway cache: the byte budget is enforced", "[gateway]") {
  ResponseCache cache({1000, 4096, 4096, 30s});
  const auto t0 = ResponseCache::Clock::time_point{} + 1000s;
  for (int i = 0; i < 50; ++i) {
    CachedResponse r;
    r.body = std::string(500, 'x');
    cache.put("/k" + std::to_string(i), std::move(r), cache.generation(), t0);
  }
  CHECK(cache.bytes() <= 4096);
  CHECK(cache.size() < 10);
  ResponseCache off({0, 0, 0, 0s});
  CHECK_FALSE(off.enabled());
}

TEST_CASE("gateway CORS: origins, preflight and exposed headers", "[gateway]") {
  CorsPolicy any({"*"}, 600s);
  CHECK(any.enabled());
  CHECK(any.allow_origin("https://x.example") == "*");
  CHECK_FALSE(any.allow_origin(""));
  CHECK(CorsPolicy::is_preflight("OPTIONS", "https://x.example", "POST"));
  CHECK_FALSE(CorsPolicy::is_preflight("OPTIONS", "", "POST"));
  CHECK_FALSE(CorsPolicy::is_preflight("OPTIONS", "https://x.example", ""));
  CHECK_FALSE(CorsPolicy::is_preflight("GET", "https://x.example", "POST"));
  auto pre = any.preflight_headers("https://x.example", "POST", "authorization, content-type");
  auto find = [](const CorsPolicy::HeaderList& l, std::string_view name) -> std::string {
    for (const auto& [k, v] : l)
      if (k == name) return v;
    return "<none>";
  };
  CHECK(find(pre, "Access-Control-Allow-Origin") == "*");
  CHECK(find(pre, "Access-Control-Allow-Headers") == "authorization, content-type");
  CHECK(find(pre, "Access-Control-Max-Age") == "600");
  CHECK(find(pre, "Access-Control-Allow-Methods").find("PATCH") != std::string::npos);
  auto odd = any.preflight_headers("https://x.example", "POST", "x\r\ny: z");
  CHECK(find(odd, "Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
  CHECK(find(any.response_headers("https://x.example"), "Access-Control-Expose-Headers").find("X-Request-Id") !=
        std::string::npos);

  CorsPolicy list({"https://shop.example", "http://localhost:3000/"}, 60s);
  CHECK(list.allow_origin("https://shop.example") == "https://shop.example");
  CHECK(list.allow_origin("http://localhost:3000") == "http://localhost:3000");
  CHECK_FALSE(list.allow_origin("https://evil.example"));
  CHECK(list.preflight_headers("https://evil.example", "GET", "").empty());
  CHECK(list.response_headers("https://evil.example").empty());
  CHECK(find(list.response_headers("https://shop.example"), "Vary") == "Origin");

  CorsPolicy off({}, 60s);
  CHECK_FALSE(off.enabled());
  CHECK(off.response_headers("https://x.example").empty());
}

TEST_CASE("gateway docs: Swagger UI from an allow-list, the OpenAPI file, nothing else", "[gateway]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gw-docs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "dist");
  DocsSite missing((dir / "dist").string(), (dir / "openapi.yaml").string());
  CHECK(missing.docs_file("").status == DocsSite::Status::not_installed);
  CHECK(missing.docs_file("swagger-ui.css").status == DocsSite::Status::not_installed);
  CHECK(missing.openapi().status == DocsSite::Status::not_found);

  for (const char* f : {"swagger-ui-bundle.js", "swagger-ui.css", "package.json", "secret.txt"})
    std::ofstream(dir / "dist" / f) << "content of " << f;
  std::ofstream(dir / "openapi.yaml") << "openapi: 3.1.0\n";
  DocsSite site((dir / "dist").string(), (dir / "openapi.yaml").string());
  auto index = site.docs_file("");
  REQUIRE(index.status == DocsSite::Status::ok);
  CHECK(index.content_type.find("text/html") == 0);
  CHECK(index.body->find("/api/docs/swagger-ui-bundle.js") != std::string::npos);
  CHECK(site.docs_file("index.html").body == index.body);
  auto init = site.docs_file("swagger-initializer.js");
  REQUIRE(init.status == DocsSite::Status::ok);
  CHECK(init.body->find("/api/openapi.yaml") != std::string::npos);
  auto css = site.docs_file("swagger-ui.css");
  REQUIRE(css.status == DocsSite::Status::ok);
  CHECK(*css.body == "content of swagger-ui.css");
  CHECK(css.content_type.find("text/css") == 0);
  for (const char* bad : {"package.json", "secret.txt", "../openapi.yaml", "..%2fopenapi.yaml", "/etc/passwd",
                          "swagger-ui.css/../secret.txt", "SWAGGER-UI.CSS"})
    CHECK(site.docs_file(bad).status == DocsSite::Status::not_found);
  CHECK(site.docs_file("favicon-16x16.png").status == DocsSite::Status::not_installed);  // allowed, absent
  auto spec = site.openapi();
  REQUIRE(spec.status == DocsSite::Status::ok);
  CHECK(*spec.body == "openapi: 3.1.0\n");
  fs::remove_all(dir);
}
