#pragma once
// What every generated event contract shares: the Uuid field type, decode results with error paths,
// the from_json / parse_enum templates the generated headers specialise, and the schema registry.
//
//   auto decoded = contracts::from_json<contracts::OrderCreatedV1>(envelope_doc["data"]);
//   if (!decoded.ok()) dead_letter(contracts::describe(decoded.errors));
#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace shopmesh::contracts {

/// A field with format uuid; decoding checks the canonical 8-4-4-4-12 form.
struct Uuid {
  std::string value;
  auto operator<=>(const Uuid&) const = default;
};

/// One validation failure: `path` locates the value ("data.items[2].quantity"), `message` says
/// what is wrong with it ("must be >= 1").
struct DecodeError {
  std::string path;
  std::string message;
  bool operator==(const DecodeError&) const = default;
};

/// "data.items[2].quantity: must be >= 1".
std::string to_string(const DecodeError& error);
/// Every error as "path: message", joined with "; ".
std::string describe(const std::vector<DecodeError>& errors);

/// A decoded event: the value when the input is valid, otherwise every error found.
template <class T>
struct Decoded {
  std::optional<T> value;
  std::vector<DecodeError> errors;
  bool ok() const { return value.has_value(); }
};

/// Decodes and validates the `data` object of an event; specialised by each generated contract.
/// Unknown members are ignored, so producers may add optional fields.
template <class T>
Decoded<T> from_json(const rapidjson::Value& data);

/// Parses JSON text, then decodes it as T; a syntax error is reported at path "data". Parsing is
/// iterative, so no nesting of unknown members can exhaust the stack.
template <class T>
Decoded<T> from_json_text(std::string_view text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    std::string offset = std::to_string(document.GetErrorOffset());
    return {std::nullopt, {{"data", "is not valid JSON (error at offset " + offset + ")"}}};
  }
  return from_json<T>(document);
}

/// The enumerator named by its schema text ("ADMIN"), nullopt for any other text; specialised by
/// each generated enum. to_string(enumerator) is the inverse.
template <class E>
std::optional<E> parse_enum(std::string_view text);

/// Contract types as a compile-time list, for code that handles each of them (all.hpp: AllContracts).
template <class... Events>
struct ContractList {
  static constexpr std::size_t size = sizeof...(Events);
};

/// A contract known to this build, for tools that handle events of any type (meshctl, consumers).
struct SchemaInfo {
  std::string_view type;
  int version;
  std::vector<DecodeError> (*validate)(const rapidjson::Value& data);
};

/// Every generated contract, ordered by type then version.
const std::vector<SchemaInfo>& all_schemas();
/// The contract for (type, version), or nullptr when this build does not know it.
const SchemaInfo* find_schema(std::string_view type, int version);

}  // namespace shopmesh::contracts
