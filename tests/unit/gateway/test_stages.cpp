// The gateway's chain of stages (stage.hpp) and the stages that decide without waiting: each is
// driven here through the Stage interface, as the chain drives it. The stages that wait
// (health, authentication, proxy) and the admin listener run against a real stack in
// tests/integration/gateway.
#include <prometheus/registry.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "shipped_routes.hpp"
#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/cors.hpp"
#include "shopmesh/gateway/dialects.hpp"
#include "shopmesh/gateway/docs_site.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/gateway/plain_head.hpp"
#include "shopmesh/gateway/rate_limit.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/routes.hpp"
#include "shopmesh/gateway/stage.hpp"
#include "shopmesh/gateway/stages/builtins.hpp"
#include "shopmesh/gateway/stages/caching.hpp"
#include "shopmesh/gateway/stages/cross_origin.hpp"
#include "shopmesh/gateway/stages/dialect.hpp"
#include "shopmesh/gateway/stages/framing.hpp"
#include "shopmesh/gateway/stages/rate_limits.hpp"
#include "shopmesh/gateway/stages/request_id.hpp"

using namespace shopmesh::gateway;
using namespace std::chrono_literals;

namespace {

Response run(const Chain& chain, Request& req, Exchange& ex, std::string* failure = nullptr) {
  boost::asio::io_context ioc;
  auto done = boost::asio::co_spawn(ioc, chain.run(req, ex, failure), boost::asio::use_future);
  ioc.run();
  return done.get();
}

// Records what the chain does with it; answers when told to.
struct Probe final : Stage {
  Probe(std::string id, std::vector<std::string>& trail, bool answer = false, bool wait = false, bool fail = false)
      : id(std::move(id)), trail(trail), answer(answer), wait(wait), fail(fail) {}
  std::string_view name() const override { return id; }
  Answer request(Request&, Exchange& ex) override {
    trail.push_back("in:" + id);
    if (fail) throw std::runtime_error("probe failed");
    if (!answer) return std::nullopt;
    return problem(http::status::accepted, id, ex);
  }
  bool waits(const Exchange&) const override { return wait; }
  boost::asio::awaitable<Answer> request_async(Request& req, Exchange& ex) override {
    trail.push_back("async:" + id);
    co_return request(req, ex);
  }
  void response(Response& res, Exchange&) override {
    trail.push_back("out:" + id);
    res.insert("X-Trail", id);
  }
  std::string id;
  std::vector<std::string>& trail;
  bool answer, wait, fail;
};

Chain chain_of(std::vector<std::unique_ptr<Stage>> stages) {
  return Chain(std::move(stages));
}

Request get(std::string target) {
  Request req{http::verb::get, target, 11};
  req.set(http::field::host, "gateway");
  return req;
}

Exchange exchange_for(const Request& req, const RouteTable& routes) {
  Exchange ex;
  ex.method = std::string(req.method_string());
  ex.path = std::string(req.target());
  ex.route = routes.match(ex.method, ex.path);
  ex.rate_key = "10.0.0.1";
  return ex;
}

const RouteTable& table() {
  static const RouteTable t = RouteTable::parse(R"({"routes": [
    {"prefix": "/api/products", "methods": ["GET"], "service": "products", "auth": "public", "cache": true, "rateClass": "default"},
    {"prefix": "/api/products", "service": "products", "auth": "admin"},
    {"prefix": "/api/orders", "service": "orders", "auth": "user"}]})");
  return t;
}

GatewayMetrics& metrics() {
  static prometheus::Registry registry;
  static GatewayMetrics m(registry, route_metric_labels({"a", "b", "c"}), {"orders", "products"}, {"default", "user"});
  return m;
}

}  // namespace

TEST_CASE("gateway chain: stages in order, the first answer ends it, the answer goes back out in reverse",
          "[gateway]") {
  std::vector<std::string> trail;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<Probe>("a", trail));
  stages.push_back(std::make_unique<Probe>("b", trail, false, true));
  stages.push_back(std::make_unique<Probe>("c", trail, true));
  stages.push_back(std::make_unique<Probe>("d", trail, true));
  const Chain chain = chain_of(std::move(stages));
  auto req = get("/x");
  Exchange ex;
  const Response res = run(chain, req, ex);
  CHECK(res.result_int() == 202);
  CHECK(trail == std::vector<std::string>{"in:a", "async:b", "in:b", "in:c", "out:c", "out:b", "out:a"});
  CHECK_FALSE(ex.close);
}

TEST_CASE("gateway chain: no answer is a 404, a stage that throws is a 500 that closes, still sent back out",
          "[gateway]") {
  std::vector<std::string> trail;
  std::vector<std::unique_ptr<Stage>> passing;
  passing.push_back(std::make_unique<Probe>("a", trail));
  auto req = get("/x");
  Exchange ex;
  CHECK(run(chain_of(std::move(passing)), req, ex).result_int() == 404);
  CHECK(trail == std::vector<std::string>{"in:a", "out:a"});

  trail.clear();
  std::vector<std::unique_ptr<Stage>> failing;
  failing.push_back(std::make_unique<Probe>("a", trail));
  failing.push_back(std::make_unique<Probe>("b", trail, false, false, true));
  failing.push_back(std::make_unique<Probe>("c", trail, true));
  std::string failure;
  Exchange ex2;
  const Response res = run(chain_of(std::move(failing)), req, ex2, &failure);
  CHECK(res.result_int() == 500);
  CHECK(failure == "probe failed");
  CHECK(ex2.close);
  CHECK(trail == std::vector<std::string>{"in:a", "in:b", "out:b", "out:a"});
}

TEST_CASE("gateway stages: request id kept when valid, else a new one, on every answer", "[gateway]") {
  RequestIdStage stage;
  auto req = get("/x");
  req.set("X-Request-Id", "client-id.1");
  Exchange ex;
  CHECK_FALSE(stage.request(req, ex));
  CHECK(ex.request_id == "client-id.1");
  CHECK(ex.trace.trace_id().size() == 32);
  Response res{http::status::ok, 11};
  stage.response(res, ex);
  CHECK(res["X-Request-Id"] == "client-id.1");
  CHECK(res[http::field::date].size() == 29);  // IMF-fixdate
  Response dated{http::status::ok, 11};
  dated.set(http::field::date, "Sun, 06 Dec 2026 09:14:07 GMT");
  stage.response(dated, ex);
  CHECK(dated[http::field::date] == "Sun, 06 Dec 2026 09:14:07 GMT");  // an upstream's is kept
  // An upstream's answer carries the id it was sent (kept as it is), another one, or two: one, ours.
  Response echoed{http::status::ok, 11};
  echoed.set("X-Request-Id", "client-id.1");
  stage.response(echoed, ex);
  CHECK(echoed.count("X-Request-Id") == 1);
  Response other{http::status::ok, 11};
  other.insert("X-Request-Id", "upstream-own");
  other.insert("X-Request-Id", "client-id.1");
  stage.response(other, ex);
  CHECK(other.count("X-Request-Id") == 1);
  CHECK(other["X-Request-Id"] == "client-id.1");

  req.set("X-Request-Id", "bad id\twith spaces");
  Exchange ex2;
  stage.request(req, ex2);
  CHECK(ex2.request_id != "bad id\twith spaces");
  CHECK(ex2.request_id.size() == 36);
}

namespace {

// Answers as the proxy does on its fast path: the upstream's head kept as bytes.
struct KeptAnswer final : Stage {
  std::string_view name() const override { return "kept"; }
  Answer request(Request&, Exchange& ex) override {
    const std::string bytes =
        "HTTP/1.1 200 OK\r\nX-Request-Id: up-1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
    Response res;
    bool kept = false;
    const PlainHead head = parse_plain_answer(bytes, 8192, 1 << 20, res, ex.answer, kept);
    REQUIRE(kept);
    res.body() = bytes.substr(head.length);
    return res;
  }
};

// Reads the upstream's Content-Type on the way out, if it says it does.
struct Reader final : Stage {
  explicit Reader(bool reads) : reads(reads) {}
  std::string_view name() const override { return "reader"; }
  bool reads_answer(const Exchange&) const override { return reads; }
  void response(Response& res, Exchange&) override { seen = std::string(res[http::field::content_type]); }
  bool reads;
  std::string seen;
};

}  // namespace

TEST_CASE("gateway chain: an upstream's head kept as bytes is read into the answer only for a stage that reads it",
          "[gateway]") {
  for (bool reads : {false, true}) {
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(std::make_unique<RequestIdStage>());
    stages.push_back(std::make_unique<Reader>(reads));
    auto* reader = static_cast<Reader*>(stages.back().get());
    stages.push_back(std::make_unique<KeptAnswer>());
    const Chain chain = chain_of(std::move(stages));
    for (const std::string id : {"up-1", "mine-1"}) {
      auto req = get("/x");
      req.set("X-Request-Id", id);
      Exchange ex;
      Response res = run(chain, req, ex);
      CHECK(res.result_int() == 200);
      CHECK(res.body() == "hi");
      CHECK(ex.answer.head.empty() == reads);
      CHECK(reader->seen == (reads ? "text/plain" : ""));
      std::string head;
      if (reads) {
        shopmesh::core::wire::append_head(res, head);
      } else {
        write_answer_head(res, ex, head);
      }
      // The id is the request's either way: the upstream's when it matches, else set in its place.
      CHECK(head.find("X-Request-Id: " + id + "\r\n") != std::string::npos);
      CHECK(head.find("X-Request-Id", head.find("X-Request-Id") + 1) == std::string::npos);
      CHECK(head.find("Content-Type: text/plain\r\n") != std::string::npos);
      CHECK(head.find("Date: ") != std::string::npos);  // the upstream sent none: the gateway's
    }
  }
}

TEST_CASE("gateway stages: CORS answers preflights (not refused ones) and decorates other answers", "[gateway]") {
  CorsPolicy policy({"https://shop.example"}, 600s);
  CorsStage stage(policy, 77);
  Request pre{http::verb::options, "/api/orders", 11};
  pre.set("Origin", "https://shop.example");
  pre.set("Access-Control-Request-Method", "POST");
  Exchange ex;
  ex.method = "OPTIONS";
  auto answer = stage.request(pre, ex);
  REQUIRE(answer);
  CHECK(answer->result_int() == 204);
  CHECK((*answer)["Access-Control-Allow-Origin"] == "https://shop.example");
  CHECK(ex.route_id == 77);
  CHECK(ex.origin.empty());  // the preflight's own headers are enough

  Exchange refused;
  refused.method = "OPTIONS";
  refused.refusal = Refusal{http::status::bad_request, "no"};
  CHECK_FALSE(stage.request(pre, refused));

  auto req = get("/api/orders");
  req.set("Origin", "https://shop.example");
  Exchange ex2;
  CHECK_FALSE(stage.request(req, ex2));
  Response res{http::status::ok, 11};
  stage.response(res, ex2);
  CHECK(res["Access-Control-Allow-Origin"] == "https://shop.example");

  req.set("Origin", "https://evil.example");
  Exchange ex3;
  stage.request(req, ex3);
  Response res3{http::status::ok, 11};
  stage.response(res3, ex3);
  CHECK(res3.find("Access-Control-Allow-Origin") == res3.end());
}

TEST_CASE("gateway stages: a framing refusal is answered and closes the connection", "[gateway]") {
  FramingStage stage;
  auto req = get("/x");
  Exchange ex;
  CHECK_FALSE(stage.request(req, ex));
  ex.refusal = Refusal{http::status::payload_too_large, "Too big."};
  auto answer = stage.request(req, ex);
  REQUIRE(answer);
  CHECK(answer->result_int() == 413);
  CHECK(answer->body().find("Too big.") != std::string::npos);
  CHECK(ex.close);
}

TEST_CASE("gateway stages: built-ins answer their paths, an unrouted path is 404, a routed one goes on", "[gateway]") {
  DocsSite docs("/nonexistent/openapi.yaml", "/nonexistent/swagger");
  BuiltinsStage stage(docs, BuiltinRouteIds{1, 2, 3});
  auto health = get("/health");
  Exchange ex = exchange_for(health, table());
  auto answer = stage.request(health, ex);
  REQUIRE(answer);
  CHECK(answer->result_int() == 200);
  CHECK(ex.route_id == 1);

  auto docs_req = get("/api/docs/index.html");
  Exchange ex2 = exchange_for(docs_req, table());
  answer = stage.request(docs_req, ex2);
  REQUIRE(answer);
  CHECK(answer->result_int() == 503);  // Swagger UI not installed there
  CHECK(ex2.route_id == 3);

  auto nowhere = get("/api/nowhere");
  Exchange ex3 = exchange_for(nowhere, table());
  answer = stage.request(nowhere, ex3);
  REQUIRE(answer);
  CHECK(answer->result_int() == 404);

  auto routed = get("/api/orders/1");
  Exchange ex4 = exchange_for(routed, table());
  CHECK_FALSE(stage.request(routed, ex4));
  CHECK(ex4.route_id == ex4.route->index);
}

TEST_CASE("gateway stages: another method on a built-in is 405 with Allow, never 404", "[gateway]") {
  DocsSite docs("/nonexistent/openapi.yaml", "/nonexistent/swagger");
  BuiltinsStage stage(docs, BuiltinRouteIds{1, 2, 3, 4});
  const std::pair<std::string_view, std::size_t> builtins[] = {
      {"/api/health", 4}, {"/health", 1}, {"/api/openapi.yaml", 2}, {"/api/docs", 3}, {"/api/docs/index.html", 3}};
  for (const auto& [path, id] : builtins) {
    for (const std::string_view method : {"POST", "DELETE", "TRACE", "QUERY"}) {
      INFO(method << " " << path);
      auto req = get(std::string(path));
      req.method_string(method);
      Exchange ex = exchange_for(req, table());
      auto answer = stage.request(req, ex);
      REQUIRE(answer);
      CHECK(answer->result_int() == 405);
      CHECK((*answer)[http::field::allow] == "GET, HEAD");
      CHECK(ex.route_id == id);
    }
  }
  auto nowhere = get("/api/nowhere");
  nowhere.method(http::verb::post);
  Exchange ex = exchange_for(nowhere, table());
  auto answer = stage.request(nowhere, ex);
  REQUIRE(answer);
  CHECK(answer->result_int() == 404);
}

TEST_CASE("gateway stages: per-address then per-user limits, 429 with Retry-After, RateLimit headers on the way out",
          "[gateway]") {
  RateLimiter limiter({{"default", *RateSpec::parse("1/m burst 3")}, {"user", *RateSpec::parse("1/m burst 1")}});
  std::vector<int> classes;
  for (const auto& r : table().routes()) classes.push_back(limiter.class_id(r.rate_class));
  AddressRateLimitStage by_address(limiter, classes, metrics());
  UserRateLimitStage by_user(limiter, limiter.class_id("user"), metrics());

  auto req = get("/api/products");
  Exchange ex = exchange_for(req, table());
  CHECK_FALSE(by_address.request(req, ex));
  Response res{http::status::ok, 11};
  by_address.response(res, ex);
  CHECK(res["RateLimit-Limit"] == "3");
  CHECK(res["RateLimit-Remaining"] == "2");

  Exchange ex2 = exchange_for(req, table());
  ex2.identity = std::make_shared<Identity>(Identity{"user-1", "USER", "u@example.com", "s", 0, 0});
  CHECK_FALSE(by_address.request(req, ex2));
  CHECK_FALSE(by_user.request(req, ex2));
  CHECK(ex2.rate.limit == 1);  // the tighter bucket is the one reported
  CHECK(ex2.rate.remaining == 0);
  auto refused = by_user.request(req, ex2);
  REQUIRE(refused);
  CHECK(refused->result_int() == 429);
  CHECK_FALSE((*refused)[http::field::retry_after].empty());

  Exchange ex3 = exchange_for(req, table());
  CHECK_FALSE(by_address.request(req, ex3));
  auto third = by_address.request(req, ex3);
  REQUIRE(third);
  CHECK(third->result_int() == 429);
  Response limited = std::move(*third);
  by_address.response(limited, ex3);
  CHECK(limited["RateLimit-Remaining"] == "0");
}

TEST_CASE("gateway stages: anonymous catalog reads are stored and served from the cache, writes clear it",
          "[gateway]") {
  ResponseCache cache(ResponseCache::Limits{});
  CacheStage stage(cache, {"products"}, metrics());

  auto req = get("/api/products");
  Exchange miss = exchange_for(req, table());
  CHECK_FALSE(stage.request(req, miss));
  CHECK(miss.cacheable);
  Response upstream{http::status::ok, 11};
  upstream.set(http::field::content_type, "application/json");
  upstream.set("X-Request-Id", "not-stored");
  upstream.body() = R"({"items":[]})";
  stage.response(upstream, miss);
  CHECK(upstream["X-Cache"] == "MISS");

  Exchange hit = exchange_for(req, table());
  auto answer = stage.request(req, hit);
  REQUIRE(answer);
  CHECK((*answer)["X-Cache"] == "HIT");
  CHECK((*answer)[http::field::content_type] == "application/json");
  CHECK(answer->find("X-Request-Id") == answer->end());
  CHECK(answer->body() == R"({"items":[]})");
  stage.response(*answer, hit);  // a hit is not stored again
  CHECK(cache.size() == 1);

  auto with_token = get("/api/products");
  with_token.set(http::field::authorization, "Bearer x");
  Exchange personal = exchange_for(with_token, table());
  CHECK_FALSE(stage.request(with_token, personal));
  CHECK_FALSE(personal.cacheable);

  Request write{http::verb::post, "/api/products", 11};
  Exchange w = exchange_for(write, table());
  CHECK_FALSE(stage.request(write, w));
  Response created{http::status::created, 11};
  stage.response(created, w);
  CHECK(cache.size() == 0);
}

namespace {

// The exchange check_head makes of a request the shipped table rewrites.
Exchange rewritten(std::string method, const std::string& path, std::string query = "") {
  Exchange ex;
  ex.method = std::move(method);
  ex.query = std::move(query);
  const auto rw = shipped().rewrite(ex.method, path);
  REQUIRE(rw);
  ex.client_path = path;
  ex.path = rw->path;
  ex.rewrite = rw->rule;
  ex.dialect = rw->rule->transform ? rw->rule->transform->dialect : nullptr;
  ex.route = shipped().match(rw->rule->to_method.empty() ? ex.method : rw->rule->to_method, ex.path);
  return ex;
}

}  // namespace

TEST_CASE("gateway stages: a dialect's request goes on in Shopmesh's terms, its answer comes back in the dialect's",
          "[gateway]") {
  DialectStage stage;
  const std::string id = "0190a0f0-0000-7000-8000-000000000001";
  Request put{http::verb::put, "/books/" + id, 11};
  put.body() = R"({"title":"Dune","stock":3})";
  Exchange ex = rewritten("PUT", "/books/" + id);
  CHECK_FALSE(stage.request(put, ex));
  CHECK(put.method() == http::verb::patch);
  CHECK(put.body() == R"({"name":"Dune","stock":3})");
  CHECK(put[http::field::content_type] == "application/json");
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = R"({"id":"p","sku":"S","name":"Dune","price":9.5,"stock":3,"attributes":{"author":"Herbert"}})";
  stage.response(res, ex);
  CHECK(res.result_int() == 200);
  CHECK(res.body() == R"({"id":"p","title":"Dune","author":"Herbert","price":9.5,"stock":3})");

  // Seed 003 reads FastAPI's `detail`: errors, the gateway's own included, stay problem+json.
  Response forbidden = problem(http::status::forbidden, "This route is for administrators.", ex);
  stage.response(forbidden, ex);
  CHECK(forbidden.result_int() == 403);
  CHECK(forbidden[http::field::content_type] == "application/problem+json");

  auto list = get("/books");
  Exchange listing = rewritten("GET", "/books", "?size=2");
  CHECK_FALSE(stage.request(list, listing));
  CHECK(listing.query == "?category=Books&limit=2");
  CHECK(list.body().empty());

  Request order{http::verb::post, "/orders", 11};
  order.body() = R"({"book_id":")" + id + R"(","quantity":1})";
  Exchange ordering = rewritten("POST", "/orders");
  CHECK_FALSE(stage.request(order, ordering));
  Response created{http::status::created, 11};
  created.reason("Created");  // as the upstream's status line had it
  created.body() = R"({"id":"o","userId":"u","items":[{"productId":"b","quantity":1}],"totalAmount":9.5,)"
                   R"("status":"PENDING","createdAt":"t"})";
  stage.response(created, ordering);
  CHECK(created.result_int() == 200);  // FastAPI's default, as seed 003 answered
  CHECK(created.reason() == "OK");
  CHECK(created.body() ==
        R"({"id":"o","user_id":"u","book_id":"b","quantity":1,"total_price":9.5,"status":"pending","created_at":"t"})");
}

TEST_CASE("gateway stages: a body the dialect cannot read is 400 naming its field, before any later stage",
          "[gateway]") {
  DialectStage stage;
  Request bad{http::verb::post, "/books", 11};
  bad.body() = R"({"title":5,"author":"A","price":1,"stock":1})";
  Exchange ex = rewritten("POST", "/books");
  const auto answer = stage.request(bad, ex);
  REQUIRE(answer);
  CHECK(answer->result_int() == 400);
  CHECK(answer->body().find(R"("field":"title")") != std::string::npos);
  REQUIRE(ex.route != nullptr);
  CHECK(ex.route_id == ex.route->index);  // counted on POST /api/products' route

  // A rewrite without a transform passes (DELETE /books/{id}: seed 003's 204 is Shopmesh's).
  Request del{http::verb::delete_, "/books/x", 11};
  Exchange deleting = rewritten("DELETE", "/books/x");
  CHECK_FALSE(stage.request(del, deleting));
  Response gone{http::status::no_content, 11};
  stage.response(gone, deleting);
  CHECK(gone.result_int() == 204);
  CHECK(gone.body().empty());

  // Requests no rewrite matched are not the stage's business.
  auto plain = get("/api/products");
  Exchange untouched = exchange_for(plain, table());
  CHECK_FALSE(stage.request(plain, untouched));
  Response res{http::status::ok, 11};
  res.body() = R"({"items":[]})";
  stage.response(res, untouched);
  CHECK(res.body() == R"({"items":[]})");
}

TEST_CASE("gateway stages: seed 004's envelope wraps every answer under /api/v1, the gateway's errors included",
          "[gateway]") {
  DialectStage stage;
  const std::string id = "0190a0f0-0000-7000-8000-000000000001";
  Request add{http::verb::post, "/api/v1/cart/add", 11};
  add.body() = R"({"productId": )" + id + R"(, "name": "x", "price": 1, "quantity": 2})";  // as its collection sends it
  Exchange ex = rewritten("POST", "/api/v1/cart/add");
  CHECK_FALSE(stage.request(add, ex));
  CHECK(add.body() == R"({"productId":")" + id + R"(","quantity":2})");
  ex.user_id = "u1";
  Response cart{http::status::created, 11};
  cart.body() = R"({"items":[],"total":0})";
  stage.response(cart, ex);
  CHECK(cart.body() == R"({"success":true,"statusCode":201,"data":{"userId":"u1","items":[],"totalPrice":0,)"
                       R"("totalItems":0,"total":0}})");

  Response denied = unauthorized(ex, false, "");
  stage.response(denied, ex);
  CHECK(denied.result_int() == 401);
  CHECK(denied[http::field::content_type] == "application/json");
  CHECK(denied[http::field::www_authenticate] == R"(Bearer realm="shopmesh")");
  CHECK(denied.body().find(R"({"success":false,"statusCode":401,"timestamp":")") == 0);
  CHECK(denied.body().find(R"("path":"/api/v1/cart/add","error":"Authentication is required)") != std::string::npos);

  Request clear{http::verb::delete_, "/api/v1/cart", 11};
  Exchange clearing = rewritten("DELETE", "/api/v1/cart");
  CHECK_FALSE(stage.request(clear, clearing));
  Response cleared{http::status::no_content, 11};
  stage.response(cleared, clearing);
  CHECK(cleared.result_int() == 200);
  CHECK(cleared.body() == R"({"success":true,"statusCode":200,"data":{"message":"Deleted."}})");

  // A path under /api/v1 no rewrite matched: the gateway's 404, in seed 004's error shape.
  Exchange unrouted;
  unrouted.method = "GET";
  unrouted.path = "/api/v1/nothing";
  unrouted.dialect = shipped().dialect_at(unrouted.path);
  Response missing = problem(http::status::not_found, "No such route.", unrouted);
  stage.response(missing, unrouted);
  CHECK(missing.result_int() == 404);
  CHECK(missing.body().find(R"("path":"/api/v1/nothing","error":"No such route.")") != std::string::npos);
}
