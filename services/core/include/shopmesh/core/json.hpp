#pragma once
// RapidJSON helpers shared by handlers: parsing bodies with field-level errors, writing responses.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace shopmesh::core::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// How request bodies are parsed: iteratively (no recursion, however deep the nesting a client
/// sends) and as valid UTF-8.
inline constexpr unsigned kRequestParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

/// Parses a request body that must be a JSON object of Unicode text; throws invalid naming
/// the problem.
rapidjson::Document parse_object(std::string_view body);

/// Throws invalid naming the body when a string in `doc` is not valid UTF-8 (RapidJSON lets
/// an escaped lone surrogate through). parse_object applies it; for bodies parsed otherwise.
void require_utf8_strings(const rapidjson::Value& doc);

/// Serialises a RapidJSON value.
std::string to_string(const rapidjson::Value& value);

/// Writes a string key/value pair.
inline void kv(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// A list response `{items:[...], page, limit, total}`; `write_item(w, item)` writes one element.
template <class Items, class WriteItem>
std::string page_json(const Items& items, int page, int limit, std::int64_t total, WriteItem&& write_item) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& item : items) write_item(w, item);
  w.EndArray();
  w.Key("page");
  w.Int(page);
  w.Key("limit");
  w.Int(limit);
  w.Key("total");
  w.Int64(total);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/// Returns a string member if present and a string.
std::optional<std::string> get_string(const rapidjson::Value& obj, const char* name);

}  // namespace shopmesh::core::json
