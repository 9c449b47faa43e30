// The event envelope against hostile Kafka values: each case failed tests/fuzz (target
// event_envelope) before its fix; tests/fuzz/corpus/event_envelope/regress-* keep them fuzzed.
#include <catch2/catch.hpp>
#include <string>

#include "shopmesh/events/envelope.hpp"

using shopmesh::events::decode;
using shopmesh::events::encode;
using shopmesh::events::Envelope;

namespace {

std::string value_with_data(const std::string& data) {
  return R"({"id":"01a20006-800f-70be-b830-41d8027b38b7","type":"ORDER_CREATED","version":1,)"
         R"("occurredAt":"2026-01-01T00:00:00.000Z","producer":"orders","key":"k","correlationId":"c",)"
         R"("causationId":null,"data":)" +
         data + "}";
}

}  // namespace

TEST_CASE("envelope: a valid value decodes and encodes back to the same envelope", "[events]") {
  std::string error;
  const auto e = decode(value_with_data(R"({"orderId":"o","items":[{"quantity":2}]})"), error);
  REQUIRE(e);
  CHECK(error.empty());
  CHECK(e->data == R"({"orderId":"o","items":[{"quantity":2}]})");
  const auto again = decode(encode(*e), error);
  REQUIRE(again);
  CHECK(again->data == e->data);
}

TEST_CASE("envelope: data nested a million levels deep is refused, not a stack overflow", "[events][fuzz]") {
  const std::size_t depth = 1'000'000;
  std::string error;
  const auto e = decode(value_with_data(R"({"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}"), error);
  CHECK_FALSE(e);
  CHECK(error == "envelope.data: nests arrays and objects deeper than 64 levels");
  // A value that is nothing but brackets: not an object, and no recursion either.
  CHECK_FALSE(decode(std::string(depth, '['), error));
}

TEST_CASE("envelope: data the writer cannot carry (an infinite number) is refused, not truncated", "[events][fuzz]") {
  std::string error;
  const auto e = decode(value_with_data(R"({"orderId":"o","totalAmount":19.991e309,"createdAt":"x"})"), error);
  CHECK_FALSE(e);
  CHECK(error == "envelope.data: holds a number out of range");
}

TEST_CASE("envelope: a causationId holding NUL survives encoding", "[events][fuzz]") {
  Envelope e;
  e.id = "i";
  e.type = "ORDER_CREATED";
  e.causation_id = std::string("a\0b", 3);
  e.data = "{}";
  std::string error;
  const auto again = decode(encode(e), error);
  REQUIRE(again);
  CHECK(again->causation_id == e.causation_id);
}
