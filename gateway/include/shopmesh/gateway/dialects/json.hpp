#pragma once
// What the dialect transforms (seed003.hpp, seed004.hpp) share: reading bodies, finding members,
// writing values.
#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "shopmesh/core/json.hpp"

namespace shopmesh::gateway::dialect_json {

/// A client's body: a JSON object of Unicode text (core::json::parse_object) nested at most 32
/// deep, since copying a value is recursive; throws core::DomainError (invalid) naming `body`.
rapidjson::Document client_body(std::string_view body);
/// A Shopmesh answer: a JSON object or array; throws std::runtime_error when it is neither.
rapidjson::Document answer_body(std::string_view body);
/// The member `name` of an object, or nullptr (absent, or `v` is not an object).
const rapidjson::Value* member(const rapidjson::Value& v, const char* name);
/// Writes `key: value`, null when `value` is nullptr.
void write(core::json::Writer& w, const char* key, const rapidjson::Value* value);
/// The text a writer wrote.
std::string text(const rapidjson::StringBuffer& buffer);

/// A Shopmesh answer body (answer_body's rules) written again by `write(writer, answer)`.
template <class F>
std::string rewrite_answer(std::string_view body, F&& write) {
  const rapidjson::Document doc = answer_body(body);
  rapidjson::StringBuffer buffer;
  core::json::Writer w(buffer);
  write(w, static_cast<const rapidjson::Value&>(doc));
  return text(buffer);
}

}  // namespace shopmesh::gateway::dialect_json
