#include "validation.hpp"

#include "shopmesh/contracts/common.hpp"

namespace shopmesh::events {

ValidationOutcome validate_payload(std::string_view type, int version, const rapidjson::Value& data) {
  if (const auto* schema = contracts::find_schema(type, version)) {
    auto errors = schema->validate(data);
    if (errors.empty()) return {};
    return {ValidationOutcome::Kind::invalid, contracts::describe(errors)};
  }
  for (const auto& s : contracts::all_schemas())
    if (s.type == type)
      return {ValidationOutcome::Kind::unknown_version,
              std::string(type) + " has no contract for version " + std::to_string(version)};
  return {ValidationOutcome::Kind::unknown_type, "no contract for event type '" + std::string(type) + "'"};
}

}  // namespace shopmesh::events
