#include "shopmesh/events/envelope.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace shopmesh::events {
namespace {

// Far deeper than any contract nests. Parsing is iterative, but re-serialising `data` recurses once
// per level, so a poison message of nested brackets must be refused before that (a stack overflow
// would kill the consumer, and again on every restart, since the message is never passed).
constexpr std::size_t kMaxDataDepth = 64;

// The nesting depth of arrays and objects in `value`, counted without recursion.
std::size_t nesting_depth(const rapidjson::Value& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, std::size_t>> todo{{&value, 1}};
  while (!todo.empty()) {
    const auto [v, depth] = todo.back();
    todo.pop_back();
    if (v->IsArray()) {
      deepest = std::max(deepest, depth);
      for (const auto& e : v->GetArray()) todo.emplace_back(&e, depth + 1);
    } else if (v->IsObject()) {
      deepest = std::max(deepest, depth);
      for (const auto& m : v->GetObject()) todo.emplace_back(&m.value, depth + 1);
    }
  }
  return deepest;
}

}  // namespace

std::string encode(const Envelope& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  str("id", e.id);
  str("type", e.type);
  w.Key("version");
  w.Int(e.version);
  str("occurredAt", e.occurred_at);
  str("producer", e.producer);
  str("key", e.key);
  str("correlationId", e.correlation_id);
  w.Key("causationId");
  if (e.causation_id.empty())
    w.Null();
  else
    w.String(e.causation_id.c_str(), static_cast<rapidjson::SizeType>(e.causation_id.size()));
  w.Key("data");
  w.RawValue(e.data.data(), e.data.size(), rapidjson::kObjectType);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::optional<Envelope> decode(std::string_view value, std::string& error) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());
  if (d.HasParseError() || !d.IsObject()) {
    error = "value is not a JSON object";
    return std::nullopt;
  }
  Envelope e;
  auto need_string = [&](const char* key, std::string& out, bool nullable) {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || (!it->value.IsString() && !(nullable && it->value.IsNull()))) {
      if (error.empty()) error = std::string("envelope.") + key + ": is required and must be a string";
      return;
    }
    if (it->value.IsString()) out.assign(it->value.GetString(), it->value.GetStringLength());
  };
  need_string("id", e.id, false);
  need_string("type", e.type, false);
  need_string("occurredAt", e.occurred_at, false);
  need_string("producer", e.producer, false);
  need_string("key", e.key, false);
  need_string("correlationId", e.correlation_id, false);
  need_string("causationId", e.causation_id, true);
  auto v = d.FindMember("version");
  if (v == d.MemberEnd() || !v->value.IsInt() || v->value.GetInt() < 1) {
    if (error.empty()) error = "envelope.version: is required and must be an integer >= 1";
  } else {
    e.version = v->value.GetInt();
  }
  auto data = d.FindMember("data");
  if (data == d.MemberEnd() || !data->value.IsObject()) {
    if (error.empty()) error = "envelope.data: is required and must be an object";
  } else if (nesting_depth(data->value) > kMaxDataDepth) {
    if (error.empty()) error = "envelope.data: nests arrays and objects deeper than 64 levels";
  } else {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    // The writer stops at a number JSON cannot hold (1e999 parses as infinity): refuse the event
    // rather than pass on the truncated text.
    if (data->value.Accept(w))
      e.data.assign(buf.GetString(), buf.GetSize());
    else if (error.empty())
      error = "envelope.data: holds a number out of range";
  }
  if (!error.empty()) return std::nullopt;
  return e;
}

}  // namespace shopmesh::events
