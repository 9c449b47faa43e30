#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "shopmesh/events/topics.hpp"

using namespace shopmesh::events;

TEST_CASE("topics: the catalogue yields event topics plus one DLQ per group and topic", "[events]") {
  auto c = TopicCatalogue::parse(R"({"topics":[{"name":"order.events","partitions":6}],
    "consumers":[{"group":"stock","topics":["order.events"]}],"dlq":{"partitions":1}})");
  auto all = c.all_topics();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "order.events");
  CHECK(all[0].partitions == 6);
  CHECK(all[1].name == "order.events.stock.dlq");
}

TEST_CASE("topics: the shipped catalogue is valid and order.events has >= 3 partitions", "[events]") {
  std::ifstream in(std::string(SHOPMESH_SOURCE_DIR) + "/contracts/topics.json");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = TopicCatalogue::parse(ss.str());
  bool found = false;
  for (const auto& t : c.topics)
    if (t.name == "order.events") {
      found = true;
      CHECK(t.partitions >= 3);
    }
  CHECK(found);
  CHECK_THROWS(TopicCatalogue::parse(R"({"topics":[{"name":"x","partitions":0}]})"));
}

TEST_CASE("topics: the shipped catalogue names who publishes to each event topic", "[events]") {
  std::ifstream in(std::string(SHOPMESH_SOURCE_DIR) + "/contracts/topics.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto c = TopicCatalogue::parse(ss.str());
  REQUIRE(c.producers.count("order.events"));
  CHECK(c.producers.at("order.events") == std::vector<std::string>{"orders"});
  for (const auto& t : c.topics) CHECK(c.producers.count(t.name) == 1);
  CHECK_THROWS(TopicCatalogue::parse(R"({"topics":[{"name":"x","partitions":1,"producers":"orders"}]})"));
}
