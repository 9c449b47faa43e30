#pragma once
// Checks an event payload against the generated contracts (contracts/events).
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace shopmesh::events {

struct ValidationOutcome {
  enum class Kind { ok, unknown_type, unknown_version, invalid };
  Kind kind = Kind::ok;
  std::string message;  // every failing path, e.g. "data.items[2].quantity: must be >= 1"
};

ValidationOutcome validate_payload(std::string_view type, int version, const rapidjson::Value& data);

}  // namespace shopmesh::events
