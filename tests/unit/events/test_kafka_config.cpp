// The Kafka layer's shared settings, read back from the librdkafka configuration they build.
#include <librdkafka/rdkafkacpp.h>
#include <sys/prctl.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shopmesh/events/kafka.hpp"

using shopmesh::events::KafkaConfig;

TEST_CASE("kafka config: a durable producer is idempotent and waits for every in-sync replica", "[kafka]") {
  KafkaConfig plain("127.0.0.1:1,127.0.0.1:2", "test");
  CHECK(plain.get("bootstrap.servers") == "127.0.0.1:1,127.0.0.1:2");
  CHECK(plain.get("enable.idempotence") == "false");  // librdkafka's default: the call below changes it

  KafkaConfig durable("127.0.0.1:1", "test");
  durable.durable_producer();
  CHECK(durable.get("enable.idempotence") == "true");
  CHECK(durable.get("acks") == "-1");  // all
}

TEST_CASE("kafka config: a broker back from an outage is tried again within a second", "[kafka]") {
  KafkaConfig conf("127.0.0.1:1", "test");
  CHECK(conf.get("reconnect.backoff.max.ms") == std::to_string(shopmesh::events::kReconnectBackoffMax.count()));
}

TEST_CASE("kafka config: a setting librdkafka refuses names itself", "[kafka]") {
  KafkaConfig conf("127.0.0.1:1", "test");
  CHECK_THROWS_WITH(conf.set("acks", "sometimes"), Catch::Contains("kafka setting acks"));
  CHECK(conf.get("no.such.setting").empty());
}

namespace {
// The timer slack of this process's threads named `comm`, in ns.
std::vector<long> slack_of_threads(const std::string& comm) {
  std::vector<long> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    if (name != comm) continue;
    long ns = -1;
    std::ifstream("/proc/" + task.path().filename().string() + "/timerslack_ns") >> ns;
    out.push_back(ns);
  }
  return out;
}
}  // namespace

TEST_CASE("kafka config: a client's threads wait with a millisecond of timer slack, its creator's is kept",
          "[kafka]") {
  const int before = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  const auto unrelated = slack_of_threads("rdk:main").size();  // none, unless another test left a client
  {
    auto producer = KafkaConfig("127.0.0.1:1", "test").producer();  // no broker needed to create one
    const auto slack = slack_of_threads("rdk:main");
    REQUIRE(slack.size() == unrelated + 1);
    CHECK(std::count(slack.begin(), slack.end(), 1'000'000L) >= 1);
    for (long ns : slack_of_threads("rdk:broker-1")) CHECK(ns == 1'000'000L);
  }
  CHECK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == before);
}
