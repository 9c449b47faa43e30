// The gateway's event intake against hostile values: a SESSION_REVOKED lookalike it cannot read
// was parsed again recursively, and deep nesting overflowed the stack of the consumer thread (found
// while writing the fuzz target event_envelope; the target exercises it).
#include <catch2/catch.hpp>
#include <string>

#include "shopmesh/gateway/events.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/revocation.hpp"

using namespace shopmesh::gateway;

TEST_CASE("gateway events: a deeply nested SESSION_REVOKED lookalike is malformed, not a crash", "[gateway][fuzz]") {
  RevocationSet revocations(960);
  ResponseCache cache({});
  GatewayEventHandler handler("identity.events", {"catalog.events"}, revocations, cache);
  const std::size_t depth = 1'000'000;
  const std::string value = R"({"type":"SESSION_REVOKED","data":{"userId":"u","x":)" + std::string(depth, '[') +
                            std::string(depth, ']') + "}}";
  CHECK(handler.apply("identity.events", value, 0) == GatewayEventHandler::Effect::malformed);
  CHECK(handler.apply("catalog.events", value, 0) == GatewayEventHandler::Effect::ignored);
  CHECK(revocations.size() == 0);
}
