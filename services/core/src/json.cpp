#include "shopmesh/core/json.hpp"

#include <rapidjson/error/en.h>

#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/text.hpp"

namespace shopmesh::core::json {

namespace {

// Every string, member names included, is valid UTF-8. RapidJSON decodes an escaped lone low
// surrogate (\udc00-\udfff) into bytes that are not, and PostgreSQL refuses those (a 500).
// Iterative: the document may be as deep as its body is long.
bool strings_are_utf8(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> todo{&root};
  while (!todo.empty()) {
    const rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsString()) {
      if (!is_valid_utf8({v->GetString(), v->GetStringLength()})) return false;
    } else if (v->IsArray()) {
      for (const auto& e : v->GetArray()) todo.push_back(&e);
    } else if (v->IsObject()) {
      for (const auto& m : v->GetObject()) {
        if (!is_valid_utf8({m.name.GetString(), m.name.GetStringLength()})) return false;
        todo.push_back(&m.value);
      }
    }
  }
  return true;
}

}  // namespace

rapidjson::Document parse_object(std::string_view body) {
  rapidjson::Document doc;
  // Iterative: a recursive parse of "[[[[..." overflows the stack of the thread (a crash from one
  // request). Invalid UTF-8 is refused here: PostgreSQL would refuse it later, as a 500.
  doc.Parse<kRequestParseFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    throw invalid("The request body is not valid JSON.",
                      {{"body", std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
                                    std::to_string(doc.GetErrorOffset())}});
  }
  if (!doc.IsObject()) throw invalid("The request body must be a JSON object.", {{"body", "must be an object"}});
  require_utf8_strings(doc);
  return doc;
}

void require_utf8_strings(const rapidjson::Value& doc) {
  if (!strings_are_utf8(doc))
    throw invalid("The request body is not valid JSON.",
                      {{"body", "strings must be Unicode text (no lone surrogate escapes such as \\udc00)"}});
}

std::string to_string(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  value.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::optional<std::string> get_string(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace shopmesh::core::json
