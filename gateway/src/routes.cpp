#include "shopmesh/gateway/routes.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shopmesh/core/text.hpp"
#include "shopmesh/gateway/dialects.hpp"

namespace shopmesh::gateway {
namespace {

std::string required_string(const rapidjson::Value& v, const char* key, const std::string& where) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0)
    throw std::runtime_error(where + ": '" + key + "' must be a non-empty string");
  return it->value.GetString();
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

using core::for_each_path_segment;

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  for_each_path_segment(path, [&](std::string_view s) {
    out.emplace_back(s);
    return true;
  });
  return out;
}

// A path or pattern from the configuration: absolute, no dot segments, no query.
void check_pattern(const std::string& pattern, const std::string& where, const char* key) {
  if (pattern.front() != '/' || pattern.find('?') != std::string::npos ||
      (!normalize_path(pattern) && pattern != "/"))
    throw std::runtime_error(where + ": '" + key + "' must be an absolute path without . or .. segments or a query");
}

std::string checked_method(std::string method, const std::string& where) {
  if (!std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    throw std::runtime_error(where + ": methods are upper-case tokens, got '" + method + "'");
  return method;
}

Rewrite parse_rewrite(const rapidjson::Value& w, const std::string& where) {
  if (!w.IsObject()) throw std::runtime_error(where + ": must be an object");
  Rewrite rw;
  rw.from = required_string(w, "from", where);
  rw.to = required_string(w, "to", where);
  check_pattern(rw.from, where, "from");
  check_pattern(rw.to, where, "to");
  rw.from_segments = split(rw.from);
  for (const auto& segment : split(rw.to))
    if (is_param(segment) && std::find(rw.from_segments.begin(), rw.from_segments.end(), segment) ==
                                 rw.from_segments.end())
      throw std::runtime_error(where + ": '" + segment + "' in 'to' is not a segment of 'from'");
  if (w.HasMember("method")) rw.method = checked_method(required_string(w, "method", where), where);
  if (w.HasMember("toMethod")) rw.to_method = checked_method(required_string(w, "toMethod", where), where);
  if (w.HasMember("transform")) {
    const std::string name = required_string(w, "transform", where);
    rw.transform = find_transform(name);
    if (rw.transform == nullptr) throw std::runtime_error(where + ": unknown transform '" + name + "'");
  }
  return rw;
}

std::size_t literal_count(const Route& r) {
  return static_cast<std::size_t>(
      std::count_if(r.segments.begin(), r.segments.end(), [](const std::string& s) { return !is_param(s); }));
}

// Whether the rewrite's "from" pattern matches the whole (normalized) path; `bound` (if given) gets
// each {name} with the segment it matched.
bool matches_from(const Rewrite& rw, std::string_view path,
                  std::vector<std::pair<std::string_view, std::string_view>>* bound) {
  std::size_t i = 0;
  const bool all = for_each_path_segment(path, [&](std::string_view s) {
    if (i == rw.from_segments.size()) return false;
    const std::string& want = rw.from_segments[i++];
    if (!is_param(want)) return want == s;
    if (bound != nullptr) bound->emplace_back(want, s);
    return true;
  });
  return all && i == rw.from_segments.size();
}

std::size_t literal_segments(const Rewrite& rw) {
  return static_cast<std::size_t>(std::count_if(rw.from_segments.begin(), rw.from_segments.end(),
                                                [](const std::string& s) { return !is_param(s); }));
}

}  // namespace

bool Route::allows_method(std::string_view method) const {
  if (methods.empty()) return true;
  for (const auto& m : methods)
    if (m == method || (method == "HEAD" && m == "GET")) return true;
  return false;
}

bool Route::matches_path(std::string_view path) const {
  std::size_t i = 0;
  const bool all = for_each_path_segment(path, [&](std::string_view s) {
    if (i == segments.size()) return !exact;  // deeper than a prefix: fine; than an exact path: no
    const auto& want = segments[i++];
    return is_param(want) || want == s;
  });
  return all && i == segments.size();
}

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
    const bool has_prefix = r.HasMember("prefix");
    const bool has_path = r.HasMember("path");
    if (has_prefix == has_path) throw std::runtime_error(where + ": needs exactly one of 'prefix' or 'path'");
    route.exact = has_path;
    route.pattern = required_string(r, has_path ? "path" : "prefix", where);
    if (route.pattern.front() != '/') throw std::runtime_error(where + ": the pattern must start with /");
    if (!normalize_path(route.pattern) && route.pattern != "/")
      throw std::runtime_error(where + ": the pattern must not contain . or .. segments");
    route.segments = split(route.pattern);
    route.service = required_string(r, "service", where);
    if (r.HasMember("auth")) {
      const std::string a = required_string(r, "auth", where);
      if (a == "public")
        route.auth = AuthPolicy::public_access;
      else if (a == "user")
        route.auth = AuthPolicy::user;
      else if (a == "admin")
        route.auth = AuthPolicy::admin;
      else
        throw std::runtime_error(where + ": 'auth' must be public, user or admin");
    }
    if (r.HasMember("methods")) {
      if (!r["methods"].IsArray() || r["methods"].Empty())
        throw std::runtime_error(where + ": 'methods' must be a non-empty array");
      for (const auto& m : r["methods"].GetArray()) {
        if (!m.IsString() || m.GetStringLength() == 0)
          throw std::runtime_error(where + ": 'methods' must hold strings");
        route.methods.push_back(checked_method(m.GetString(), where));
      }
    }
    if (r.HasMember("timeoutMs")) {
      if (!r["timeoutMs"].IsUint() || r["timeoutMs"].GetUint() == 0)
        throw std::runtime_error(where + ": 'timeoutMs' must be a positive integer");
      route.timeout = std::chrono::milliseconds(r["timeoutMs"].GetUint());
    }
    if (r.HasMember("bodyLimit")) {
      if (!r["bodyLimit"].IsUint64()) throw std::runtime_error(where + ": 'bodyLimit' must be a non-negative integer");
      route.body_limit = r["bodyLimit"].GetUint64();
    }
    if (r.HasMember("cache")) {
      if (!r["cache"].IsBool()) throw std::runtime_error(where + ": 'cache' must be true or false");
      route.cache = r["cache"].GetBool();
    }
    if (r.HasMember("rateClass")) route.rate_class = required_string(r, "rateClass", where);
    table.routes_.push_back(std::move(route));
  }
  std::stable_sort(table.routes_.begin(), table.routes_.end(), [](const Route& a, const Route& b) {
    if (a.segments.size() != b.segments.size()) return a.segments.size() > b.segments.size();
    if (a.exact != b.exact) return a.exact;
    const auto la = literal_count(a), lb = literal_count(b);
    if (la != lb) return la > lb;
    return !a.methods.empty() && b.methods.empty();
  });
  for (std::size_t i = 0; i < table.routes_.size(); ++i) table.routes_[i].index = i;
  if (doc.HasMember("rewrites")) {
    if (!doc["rewrites"].IsArray()) throw std::runtime_error("rewrites: must be an array");
    index = 0;
    for (const auto& w : doc["rewrites"].GetArray())
      table.rewrites_.push_back(parse_rewrite(w, "rewrites[" + std::to_string(index++) + "]"));
  }
  if (doc.HasMember("dialects")) {
    if (!doc["dialects"].IsArray()) throw std::runtime_error("dialects: must be an array");
    index = 0;
    for (const auto& d : doc["dialects"].GetArray()) {
      const std::string where = "dialects[" + std::to_string(index++) + "]";
      if (!d.IsObject()) throw std::runtime_error(where + ": must be an object");
      const std::string prefix = required_string(d, "prefix", where);
      check_pattern(prefix, where, "prefix");
      const std::string name = required_string(d, "dialect", where);
      const Dialect* dialect = find_dialect(name);
      if (dialect == nullptr) throw std::runtime_error(where + ": unknown dialect '" + name + "'");
      table.dialects_.push_back({split(prefix), dialect});
    }
  }
  return table;
}

std::optional<Rewritten> RouteTable::rewrite(std::string_view method, std::string_view path) const {
  const Rewrite* chosen = nullptr;
  std::size_t most_literal = 0;
  std::vector<std::pair<std::string_view, std::string_view>> bound, chosen_bound;  // {name} -> its segment
  for (const auto& rw : rewrites_) {
    bound.clear();
    if (!matches_from(rw, path, &bound)) continue;
    const std::size_t literal = literal_segments(rw);
    if (literal < most_literal) continue;
    if (literal > most_literal) {
      most_literal = literal;
      chosen = nullptr;  // a more literal resource: the less literal rewrites do not apply to this path
    }
    const bool takes = rw.method.empty() || rw.method == method || (method == "HEAD" && rw.method == "GET");
    if (takes && chosen == nullptr) {
      chosen = &rw;
      chosen_bound.swap(bound);
    }
  }
  if (chosen == nullptr) return std::nullopt;
  Rewritten out{"", chosen};
  for_each_path_segment(chosen->to, [&](std::string_view s) {
    out.path.push_back('/');
    if (!is_param(s)) {
      out.path.append(s);
      return true;
    }
    for (const auto& [name, value] : chosen_bound)
      if (name == s) out.path.append(value);
    return true;
  });
  if (out.path.empty()) out.path = "/";
  return out;
}

std::string RouteTable::rewrite_methods(std::string_view path) const {
  std::size_t most_literal = 0;
  std::vector<std::string_view> methods;
  for (const auto& rw : rewrites_) {
    if (!matches_from(rw, path, nullptr)) continue;
    const std::size_t literal = literal_segments(rw);
    if (literal < most_literal) continue;
    if (literal > most_literal) methods.clear();
    most_literal = literal;
    methods.push_back(rw.method);  // empty: any method
    if (rw.method == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  if (!methods.empty() && methods.front().empty()) return {};  // any method is rewritten here
  std::string allow;
  for (const auto m : methods) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  return allow;
}

const Dialect* RouteTable::dialect_at(std::string_view path) const {
  for (const auto& d : dialects_) {
    std::size_t i = 0;
    for_each_path_segment(path, [&](std::string_view s) {
      if (i == d.segments.size() || d.segments[i] != s) return false;
      ++i;
      return true;
    });
    if (i == d.segments.size()) return d.dialect;
  }
  return nullptr;
}

const Route* RouteTable::match(std::string_view method, std::string_view path) const {
  for (const auto& r : routes_)
    if (r.allows_method(method) && r.matches_path(path)) return &r;
  return nullptr;
}

std::size_t RouteTable::max_body_limit() const {
  std::size_t m = 0;
  for (const auto& r : routes_) m = std::max(m, r.body_limit);
  return m;
}

std::optional<std::string> normalize_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::string out;
  out.reserve(path.size());
  const bool ok = for_each_path_segment(path, [&](std::string_view s) {
    if (s == "." || s == "..") return false;
    out.push_back('/');
    out.append(s);
    return true;
  });
  if (!ok) return std::nullopt;
  if (out.empty()) out = "/";
  return out;
}

}  // namespace shopmesh::gateway
