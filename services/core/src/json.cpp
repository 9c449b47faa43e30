#include "shopmesh/core/json.hpp"

#include <rapidjson/error/en.h>

#include "shopmesh/core/http.hpp"

namespace shopmesh::core::json {

rapidjson::Document parse_object(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    throw bad_request("The request body is not valid JSON.",
                      {{"body", std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
                                    std::to_string(doc.GetErrorOffset())}});
  }
  if (!doc.IsObject()) throw bad_request("The request body must be a JSON object.", {{"body", "must be an object"}});
  return doc;
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
