#include "shopmesh/gateway/dialects/json.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include "shopmesh/core/errors.hpp"

namespace shopmesh::gateway::dialect_json {
namespace {

constexpr std::size_t kMaxClientDepth = 32;

// Iterative, so that measuring a hostile body is not the recursion it guards against.
bool deeper_than(const rapidjson::Value& root, std::size_t limit) {
  std::vector<std::pair<const rapidjson::Value*, std::size_t>> todo{{&root, 1}};
  while (!todo.empty()) {
    const auto [v, depth] = todo.back();
    todo.pop_back();
    if (depth > limit) return true;
    if (v->IsArray())
      for (const auto& e : v->GetArray()) todo.emplace_back(&e, depth + 1);
    else if (v->IsObject())
      for (const auto& m : v->GetObject()) todo.emplace_back(&m.value, depth + 1);
  }
  return false;
}

}  // namespace

rapidjson::Document client_body(std::string_view body) {
  rapidjson::Document doc = core::json::parse_object(body);
  if (deeper_than(doc, kMaxClientDepth))
    throw core::invalid("The request body nests too deeply.",
                        {{"body", "must nest at most " + std::to_string(kMaxClientDepth) + " levels"}});
  return doc;
}

rapidjson::Document answer_body(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<core::json::kRequestParseFlags>(body.data(), body.size());
  if (doc.HasParseError() || !(doc.IsObject() || doc.IsArray()))
    throw std::runtime_error("the answer is not a JSON object or array");
  return doc;
}

const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  const auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

void write(core::json::Writer& w, const char* key, const rapidjson::Value* value) {
  w.Key(key);
  if (value == nullptr)
    w.Null();
  else
    value->Accept(w);
}

std::string text(const rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace shopmesh::gateway::dialect_json
