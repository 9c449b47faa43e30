#pragma once
// The JSON Schema subset of contracts/events (documented in contracts/events/README.md), parsed into
// the model that the emitter and the compatibility check share. Anything outside the subset is an
// error, so a schema never means more than the generated code enforces.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopmesh::codegen {

/// A schema file that is not valid JSON or leaves the subset; what() names the file and location.
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The JSON type of a node; "null" is Node::nullable.
enum class Kind { kString, kInteger, kNumber, kBoolean, kObject, kArray };

/// What "format" adds: uuid and date-time strings, money numbers (integer cents in C++).
enum class Format { kNone, kUuid, kDateTime, kMoney };

struct Property;

/// One schema node and its constraints.
struct Node {
  Kind kind = Kind::kString;
  bool nullable = false;
  Format format = Format::kNone;
  std::string description;
  std::string ref;                                  // the $defs name when written as a "$ref"
  std::vector<std::string> enum_values;             // string enums only
  std::optional<std::string> const_string;          // "const" of a string
  std::optional<std::int64_t> const_integer;        // "const" of an integer
  std::optional<double> minimum, maximum;           // integers and numbers
  std::optional<std::int64_t> min_length, max_length;  // strings
  std::optional<std::int64_t> min_items, max_items;     // arrays
  std::vector<Property> properties;                 // objects, in file order
  std::shared_ptr<const Node> items;                // arrays
};

/// A member of an object node.
struct Property {
  std::string name;
  bool required = false;
  Node node;
};

/// One file <TYPE>.v<N>.json.
struct Schema {
  std::string file_name;  // ORDER_CREATED.v1.json
  std::string type;       // ORDER_CREATED
  int version = 0;
  std::string description;
  Node root;                                       // a non-nullable object
  std::vector<std::pair<std::string, Node>> defs;  // "$defs", in file order
};

/// The type and version named by "<TYPE>.v<N>.json", or nullopt for any other file name.
std::optional<std::pair<std::string, int>> split_file_name(std::string_view file_name);

/// Parses schema text; `file_name` gives the type and version and prefixes every error.
Schema parse_schema(std::string_view file_name, std::string_view text);
/// Reads and parses one schema file.
Schema load_schema(const std::filesystem::path& file);
/// The <TYPE>.v<N>.json files directly in `dir`, sorted by name.
std::vector<std::filesystem::path> schema_files(const std::filesystem::path& dir);

/// "string", "string(uuid)|null", "array" ...: a node's type as messages show it.
std::string type_name(const Node& node);

}  // namespace shopmesh::codegen
