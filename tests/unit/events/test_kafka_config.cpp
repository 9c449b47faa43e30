// The Kafka layer's shared settings, read back from the librdkafka configuration they build.
#include <catch2/catch.hpp>

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
