#include "routes.hpp"

#include <algorithm>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace shopmesh::gateway {
namespace {

std::string required_string(const rapidjson::Value& v, const char* key, const std::string& where) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0)
    throw std::runtime_error(where + ": '" + key + "' must be a non-empty string");
  return it->value.GetString();
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || path[prefix.size()] == '?';
}

}  // namespace

RouteTable RouteTable::parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    throw std::runtime_error(std::string("routes: invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject() || !doc.HasMember("routes") || !doc["routes"].IsArray())
    throw std::runtime_error("routes: expected an object with a 'routes' array");
  RouteTable table;
  std::size_t index = 0;
  for (const auto& r : doc["routes"].GetArray()) {
    const std::string where = "routes[" + std::to_string(index++) + "]";
    if (!r.IsObject()) throw std::runtime_error(where + ": must be an object");
    Route route;
    route.prefix = required_string(r, "prefix", where);
    if (route.prefix.front() != '/') throw std::runtime_error(where + ": 'prefix' must start with /");
    route.service = required_string(r, "service", where);
    if (r.HasMember("auth")) {
      const std::string a = required_string(r, "auth", where);
      if (a == "public") route.auth = AuthPolicy::public_access;
      else if (a == "user") route.auth = AuthPolicy::user;
      else if (a == "admin") route.auth = AuthPolicy::admin;
      else throw std::runtime_error(where + ": 'auth' must be public, user or admin");
    }
    if (r.HasMember("methods")) {
      if (!r["methods"].IsArray()) throw std::runtime_error(where + ": 'methods' must be an array");
      for (const auto& m : r["methods"].GetArray()) {
        if (!m.IsString()) throw std::runtime_error(where + ": 'methods' must hold strings");
        route.methods.emplace_back(m.GetString());
      }
    }
    if (r.HasMember("timeoutMs")) {
      if (!r["timeoutMs"].IsUint() || r["timeoutMs"].GetUint() == 0)
        throw std::runtime_error(where + ": 'timeoutMs' must be a positive integer");
      route.timeout = std::chrono::milliseconds(r["timeoutMs"].GetUint());
    }
    if (r.HasMember("bodyLimit")) {
      if (!r["bodyLimit"].IsUint()) throw std::runtime_error(where + ": 'bodyLimit' must be a positive integer");
      route.body_limit = r["bodyLimit"].GetUint();
    }
    if (r.HasMember("cache")) {
      if (!r["cache"].IsBool()) throw std::runtime_error(where + ": 'cache' must be true or false");
      route.cache = r["cache"].GetBool();
    }
    if (r.HasMember("rateClass")) route.rate_class = required_string(r, "rateClass", where);
    table.routes_.push_back(std::move(route));
  }
  std::stable_sort(table.routes_.begin(), table.routes_.end(),
                   [](const Route& a, const Route& b) { return a.prefix.size() > b.prefix.size(); });
  if (doc.HasMember("rewrites")) {
    if (!doc["rewrites"].IsArray()) throw std::runtime_error("rewrites: must be an array");
    index = 0;
    for (const auto& w : doc["rewrites"].GetArray()) {
      const std::string where = "rewrites[" + std::to_string(index++) + "]";
      if (!w.IsObject()) throw std::runtime_error(where + ": must be an object");
      Rewrite rw;
      rw.from = required_string(w, "from", where);
      rw.to = required_string(w, "to", where);
      if (w.HasMember("method")) rw.method = required_string(w, "method", where);
      table.rewrites_.push_back(std::move(rw));
    }
  }
  return table;
}

std::optional<std::string> RouteTable::rewrite(std::string_view method, std::string_view path) const {
  for (const auto& rw : rewrites_)
    if ((rw.method.empty() || rw.method == method) && rw.from == path) return rw.to;
  return std::nullopt;
}

const Route* RouteTable::match(std::string_view method, std::string_view path) const {
  for (const auto& r : routes_) {
    if (!prefix_matches(r.prefix, path)) continue;
    if (!r.methods.empty() && std::find(r.methods.begin(), r.methods.end(), method) == r.methods.end()) continue;
    return &r;
  }
  return nullptr;
}

}  // namespace shopmesh::gateway
