#include <catch2/catch.hpp>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"

using shopmesh::events::OutboxMessage;

TEST_CASE("outbox message: what the outbox writes is what the relay reads", "[events]") {
  const OutboxMessage m{"order.events", "01a23c56-e63d-70d3-9c1c-d1250347978f", "01a23c56-e640-7104-a389-372a1d21d689",
                        "ORDER_CREATED", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 1,
                        "{\"id\":\"x\",\"data\":{\"note\":\"two\\nlines\"}}\n\twith a trailing line break\n"};
  const std::string content = m.encode();
  CHECK(content.rfind("v1\norder.events\n", 0) == 0);
  auto back = OutboxMessage::decode(content);
  REQUIRE(back);
  CHECK(back->topic == m.topic);
  CHECK(back->key == m.key);
  CHECK(back->id == m.id);
  CHECK(back->type == m.type);
  CHECK(back->traceparent == m.traceparent);
  CHECK(back->version == 1);
  CHECK(back->value == m.value);  // the value keeps every byte, line breaks included

  OutboxMessage untraced = m;
  untraced.traceparent.clear();
  untraced.value.clear();
  auto empty = OutboxMessage::decode(untraced.encode());
  REQUIRE(empty);
  CHECK(empty->traceparent.empty());
  CHECK(empty->value.empty());
}

TEST_CASE("outbox message: a line break in a header field is refused, unknown content is not decoded",
          "[events]") {
  OutboxMessage m{"order.events", "key\nforged", "id", "ORDER_CREATED", "", 1, "{}"};
  CHECK_THROWS_AS(m.encode(), std::invalid_argument);
  m.key = "key";
  m.type = "ORDER_CREATED\r";
  CHECK_THROWS_AS(m.encode(), std::invalid_argument);

  CHECK_FALSE(OutboxMessage::decode(""));
  CHECK_FALSE(OutboxMessage::decode("v2\nt\nk\ni\nT\n1\n\n{}"));      // a future format
  CHECK_FALSE(OutboxMessage::decode("v1\nt\nk\ni\nT\none\n\n{}"));    // version not a number
  CHECK_FALSE(OutboxMessage::decode("v1\nt\nk\ni\nT\n1"));            // fields missing
  CHECK(OutboxMessage::decode("v1\nt\nk\ni\nT\n12\n\n")->version == 12);
}

TEST_CASE("outbox slot names: one per database, valid as a replication slot name", "[events]") {
  CHECK(shopmesh::events::outbox_slot_name("orders") == "shopmesh_outbox_orders");
  CHECK(shopmesh::events::outbox_slot_name("It-Bus.Test") == "shopmesh_outbox_it_bus_test");
  CHECK(shopmesh::events::outbox_slot_name(std::string(100, 'a')).size() == 63);
}
