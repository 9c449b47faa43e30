// meshctl top prints what the gateway's mesh page draws: fed the mesh.json the gateway builds
// (gateway/src/mesh_view.cpp) from two scrapes, every figure appears in the page's format, and
// a series nobody exports prints as a dash.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "meshctl/commands.hpp"
#include "shopmesh/gateway/mesh_view.hpp"

using namespace shopmesh;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const std::string& line_starting(const std::vector<std::string>& lines, const std::string& prefix,
                                 std::size_t from = 0) {
  for (std::size_t i = from; i < lines.size(); ++i)
    if (lines[i].rfind(prefix, 0) == 0) return lines[i];
  FAIL("no line starts with '" << prefix << "'");
  return lines.front();
}

}  // namespace

TEST_CASE("meshctl top: prints the figures of the gateway's mesh.json, dashes where none", "[meshctl]") {
  gateway::MeshTopology t;
  t.services = {{"orders", {"127.0.0.1:8085"}}, {"stock", {"127.0.0.1:8086"}}};
  t.catalogue = events::TopicCatalogue::parse(
      R"({"topics":[{"name":"order.events","partitions":6,"producers":["orders"]}],
          "consumers":[{"group":"stock","topics":["order.events"]}],"dlq":{"partitions":1}})");
  gateway::MeshScrape before, after;
  before.at = std::chrono::system_clock::time_point(1'700'000'000s);
  after.at = before.at + 2s;
  before.instances = {{"orders", "127.0.0.1:8085", true, {},
                       gateway::prom::parse("http_requests_total{route=\"/api/orders\",status=\"201\"} 10\n"
                                            "outbox_relay_active 1\noutbox_published_total 4\n")},
                      {"stock", "127.0.0.1:8086", true, {}, {}}};
  after.instances = {{"orders", "127.0.0.1:8085", true, {},
                      gateway::prom::parse("http_requests_total{route=\"/api/orders\",status=\"201\"} 60\n"
                                           "http_requests_total{route=\"/api/orders\",status=\"500\"} 1\n"
                                           "outbox_relay_active 1\noutbox_published_total 10\n")},
                     {"stock", "127.0.0.1:8086", false, "connect: Connection refused", {}}};
  events::NewestMessage dead{0, 2, 1'700'000'001'000,
                             {{"dlq-error-class", "decode"}, {"dlq-error-message", "not an envelope"},
                              {"dlq-failed-at", "2023-11-14T22:13:21.500000Z"}}};
  after.dlqs = {{"order.events.stock.dlq", true, {}, {3, dead}}};
  const std::string json = gateway::mesh_json(t, &before, after);

  const auto text = meshctl::render_top(json, meshctl::Style{});
  const auto lines = lines_of(text);
  CHECK(lines[0].find("(2023-11-14T22:13:22.000Z)") != std::string::npos);
  CHECK(lines[0].find("interval 2.0 s") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);  // no colour without a terminal
  // 51 requests in 2 s, 1 of them a 500; no histogram exported: no p99.
  const auto& orders = line_starting(lines, "  127.0.0.1:8085");
  CHECK(orders.find("26/s") != std::string::npos);
  CHECK(orders.find("2.0 %") != std::string::npos);
  CHECK(orders.find("—") != std::string::npos);
  CHECK(orders.find("up relay") != std::string::npos);
  CHECK(line_starting(lines, "  127.0.0.1:8086").find("unreachable (connect: Connection refused)") !=
        std::string::npos);
  CHECK(line_starting(lines, "gateway → orders").find("—") != std::string::npos);
  const auto& outbox = line_starting(lines, "orders ");
  CHECK(outbox.find("3.0/s") != std::string::npos);
  CHECK(outbox.find("order.events 3.0/s") != std::string::npos);
  CHECK(outbox.find("127.0.0.1:8085") != std::string::npos);
  std::size_t groups = 0;
  while (lines[groups].rfind("GROUP / TOPIC", 0) != 0) ++groups;
  const auto& dlq = line_starting(lines, "  order.events", groups);
  CHECK(dlq.find(" 3 ") != std::string::npos);
  CHECK(dlq.find("22:13:21 UTC decode: not an envelope") != std::string::npos);

  meshctl::Style colour{true};
  CHECK(meshctl::render_top(json, colour).find("\x1b[31m") != std::string::npos);  // the DLQ count
  CHECK_THROWS_WITH(meshctl::render_top("{\"not\":\"a mesh\"}", colour), Catch::Contains("not a mesh view"));
  CHECK_THROWS(meshctl::render_top("<html>", colour));
}
