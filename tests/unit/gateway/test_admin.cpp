// The admin listener's mesh routes (stages/admin.cpp): the page is served to anyone who reaches
// the loopback listener (it holds no figures), /mesh.json asks for the metrics token as /metrics
// does, says when the first round is not done, and then serves what the monitor published; the
// monitor scrapes only while someone looks.
#include <prometheus/registry.h>

#include <catch2/catch.hpp>
#include <thread>

#include "shopmesh/core/log.hpp"
#include "shopmesh/gateway/mesh_monitor.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/stages/admin.hpp"

using namespace shopmesh;
using namespace shopmesh::gateway;
using namespace std::chrono_literals;

namespace {

struct Admin {
  prometheus::Registry registry;
  GatewayMetrics metrics{registry, route_metric_labels({}), {}, {}};
  RevocationSet revocations{60};
  core::Logger log{"test", core::LogLevel::error};
  MeshMonitor monitor{MeshTopology{}, "127.0.0.1:1", 20ms, registry, log};
  AdminStage stage{"s3cret", registry, metrics, revocations, &monitor, AdminRouteIds{1, 2, 3, 4}};

  Response get(std::string target, std::string authorization = {}) {
    Request req{http::verb::get, target, 11};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    Exchange ex;
    ex.method = "GET";
    ex.path = target;
    auto answer = stage.request(req, ex);
    REQUIRE(answer);
    last_route = ex.route_id;
    return *answer;
  }
  std::size_t last_route = 0;
};

}  // namespace

TEST_CASE("admin: the mesh page is self-contained HTML that may fetch nothing but its own origin", "[gateway]") {
  Admin a;
  const auto page = a.get("/");
  CHECK(page.result_int() == 200);
  CHECK(a.last_route == 3);
  CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
  const std::string csp(page["Content-Security-Policy"]);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("connect-src 'self'") != std::string::npos);
  const auto& html = page.body();
  CHECK(html.find("<svg id=\"mesh\"") != std::string::npos);
  CHECK(html.find("fetch(\"mesh.json\"") != std::string::npos);
  // Nothing from elsewhere: no external script, stylesheet or font.
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
}

TEST_CASE("admin: /mesh.json needs the metrics token, then answers 503 until the first round", "[gateway]") {
  Admin a;
  CHECK(a.get("/mesh.json").result_int() == 401);
  CHECK(a.get("/mesh.json", "Bearer wrong").result_int() == 401);
  CHECK(a.get("/metrics", "Bearer wrong").result_int() == 401);
  const auto early = a.get("/mesh.json", "Bearer s3cret");
  CHECK(early.result_int() == 503);
  CHECK(early[http::field::retry_after] == "1");
  CHECK(a.last_route == 4);

  a.monitor.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!a.monitor.latest() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  const auto ready = a.get("/mesh.json", "Bearer s3cret");
  a.monitor.stop();
  CHECK(ready.result_int() == 200);
  CHECK(ready[http::field::content_type] == "application/json");
  CHECK(ready.body().find("\"services\":[]") != std::string::npos);
}

TEST_CASE("admin: the mesh view scrapes while it is watched, then stops and forgets", "[gateway]") {
  prometheus::Registry registry;
  core::Logger log{"test", core::LogLevel::error};
  MeshMonitor monitor{MeshTopology{}, "127.0.0.1:1", 20ms, registry, log, 300ms};
  const auto until = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return done();
  };
  monitor.start();
  std::this_thread::sleep_for(100ms);
  CHECK(monitor.rounds() == 0);  // nobody looked yet
  CHECK(until([&] { return monitor.latest() != nullptr; }));  // each look keeps the rounds going
  const auto watched = monitor.rounds();
  CHECK(watched >= 1);

  // Unwatched for longer than idle_after: the rounds stop.
  std::uint64_t before = 0;
  CHECK(until([&] {
    before = monitor.rounds();
    std::this_thread::sleep_for(100ms);  // five intervals
    return monitor.rounds() == before;
  }));
  CHECK(before < watched + 30);  // stopped about idle_after (15 intervals) after the last look
  std::this_thread::sleep_for(200ms);
  CHECK(monitor.rounds() == before);

  // The next look finds nothing (no stale view) and starts them again.
  CHECK(monitor.latest() == nullptr);
  CHECK(until([&] { return monitor.latest() != nullptr; }));
  CHECK(monitor.rounds() > before);
  monitor.stop();
}

TEST_CASE("admin: without a mesh view the listener serves /metrics and /health only", "[gateway]") {
  Admin a;
  AdminStage bare{"", a.registry, a.metrics, a.revocations, nullptr, AdminRouteIds{1, 2, 3, 4}};
  for (const char* path : {"/", "/mesh.json"}) {
    Request req{http::verb::get, path, 11};
    Exchange ex;
    ex.method = "GET";
    ex.path = path;
    auto answer = bare.request(req, ex);
    REQUIRE(answer);
    CHECK(answer->result_int() == 404);
  }
}
