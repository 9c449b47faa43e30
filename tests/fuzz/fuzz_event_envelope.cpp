// A Kafka message value as every consumer receives it: events::decode (the envelope), then what
// ConsumerRunner does with it (the payload checked against its contract), and the gateway's own
// intake of identity and catalog events (SESSION_REVOKED into the revocation set, cache clearing).
// A decoded envelope encodes to a value that decodes to the same envelope.
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "fuzz_support.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/gateway/events.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "validation.hpp"

namespace {

using namespace shopmesh;

// Equal JSON, numbers to within a few ulps: RapidJSON's default parse rounds a number of more than
// 15 significant digits a little differently once it has been written out (it reads 1966...6.99
// as 1.9666666666666654e89, and that text back as ...657e89). Contract values (money in cents,
// counts) are exact; its full-precision mode is no cure, it misreads 19991e305 as -6e-308.
bool same_json(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.GetType() != b.GetType()) return false;
  if (a.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    const double x = a.GetDouble(), y = b.GetDouble();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y)) ||
           std::max(std::fabs(x), std::fabs(y)) < 1e-300;  // subnormals carry few digits
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
      if (!same_json(a[i], b[i])) return false;
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto x = a.MemberBegin(), y = b.MemberBegin(); x != a.MemberEnd(); ++x, ++y)
      if (x->name != y->name || !same_json(x->value, y->value)) return false;
    return true;
  }
  return a == b;
}

bool same(const events::Envelope& a, const events::Envelope& b) {
  rapidjson::Document x, y;
  x.Parse(a.data.data(), a.data.size());
  y.Parse(b.data.data(), b.data.size());
  return a.id == b.id && a.type == b.type && a.version == b.version && a.occurred_at == b.occurred_at &&
         a.producer == b.producer && a.key == b.key && a.correlation_id == b.correlation_id &&
         a.causation_id == b.causation_id && !x.HasParseError() && !y.HasParseError() && same_json(x, y);
}

void consume(std::string_view value) {
  std::string error;
  const auto envelope = events::decode(value, error);
  if (!envelope) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  FUZZ_CHECK(envelope->version >= 1);
  rapidjson::Document data;
  data.Parse(envelope->data.c_str());
  FUZZ_CHECK(!data.HasParseError() && data.IsObject());
  const auto check = events::validate_payload(envelope->type, envelope->version, data);
  FUZZ_CHECK((check.kind == events::ValidationOutcome::Kind::ok) == check.message.empty());

  const std::string encoded = events::encode(*envelope);
  std::string again_error;
  const auto again = events::decode(encoded, again_error);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same(*envelope, *again));
}

void gateway_intake(std::string_view value) {
  gateway::RevocationSet revocations(960);
  gateway::ResponseCache cache({});
  gateway::GatewayEventHandler handler("identity.events", {"catalog.events", "stock.events"}, revocations, cache);
  const auto revoked = handler.apply("identity.events", value, fuzz::kNowS);
  FUZZ_CHECK(revoked != gateway::GatewayEventHandler::Effect::cache_cleared);
  if (revoked == gateway::GatewayEventHandler::Effect::revoked) FUZZ_CHECK(gateway::parse_session_revoked(value));
  const auto cleared = handler.apply("catalog.events", value, fuzz::kNowS);
  FUZZ_CHECK(cleared != gateway::GatewayEventHandler::Effect::revoked);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = fuzz::as_text(data, size);
  consume(value);
  gateway_intake(value);
  return 0;
}
