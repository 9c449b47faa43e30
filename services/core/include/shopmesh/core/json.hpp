#pragma once
// RapidJSON helpers shared by handlers: parsing bodies with field-level errors, writing responses.
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace shopmesh::core::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Parses a request body that must be a JSON object; throws ClientError(400) naming the problem.
rapidjson::Document parse_object(std::string_view body);

/// Serialises a RapidJSON value.
std::string to_string(const rapidjson::Value& value);

/// Writes a string key/value pair.
inline void kv(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// Returns a string member if present and a string.
std::optional<std::string> get_string(const rapidjson::Value& obj, const char* name);

}  // namespace shopmesh::core::json
