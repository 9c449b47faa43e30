#include "shopmesh/core/http.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>

#include "shopmesh/core/json.hpp"
#include "shopmesh/core/text.hpp"

namespace shopmesh::core {
namespace {


std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  for_each_path_segment(path, [&](std::string_view segment) {
    out.emplace_back(segment);
    return true;
  });
  return out;
}

}  // namespace

Headers::Span Headers::span(std::size_t name_at, std::size_t name_size, std::size_t value_at, std::size_t value_size) {
  return {static_cast<std::uint32_t>(name_at), static_cast<std::uint32_t>(name_size),
          static_cast<std::uint32_t>(value_at), static_cast<std::uint32_t>(value_size)};
}

void Headers::add(std::string_view name, std::string_view value) {
  const std::size_t at = text_.size();
  text_.append(name).append(value);
  spans_.push_back(span(at, name.size(), at + name.size(), value.size()));
}

void Headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void Headers::assign(std::string_view text, const std::vector<Field>& fields) {
  text_.assign(text);
  spans_.clear();
  spans_.reserve(fields.size());
  const auto at = [&](std::string_view part) { return static_cast<std::size_t>(part.data() - text.data()); };
  for (const auto& [name, value] : fields) spans_.push_back(span(at(name), name.size(), at(value), value.size()));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto [k, v] : *this)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(begin(), end(), [&](const Field& f) { return iequals(f.first, name); }));
}

void Headers::remove(std::string_view name) {
  // The removed fields' bytes stay in the buffer: a list is small and short-lived.
  std::erase_if(spans_, [&](const Span& s) { return iequals({text_.data() + s.name_at, s.name_size}, name); });
}

namespace {

// The still-encoded value of the first `name` parameter ("" for a bare "name"); nullopt when absent.
std::optional<std::string_view> raw_query_value(std::string_view query, std::string_view name) {
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(i, amp - i);
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    auto decoded_key = percent_decode(key, true);
    if (decoded_key && *decoded_key == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    i = amp + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_query_param(std::string_view query, std::string_view name) {
  auto raw = raw_query_value(query, name);
  if (!raw) return std::nullopt;
  return percent_decode(*raw, true);
}

std::optional<std::string> strict_query_param(std::string_view query, std::string_view name) {
  auto raw = raw_query_value(query, name);
  if (!raw) return std::nullopt;
  auto value = percent_decode(*raw, true);
  if (!value || !is_valid_utf8(*value) || value->find('\0') != std::string::npos)
    throw invalid("Invalid parameters.",
                      {{std::string(name), "must be percent-encoded UTF-8 text without NUL characters"}});
  return value;
}

void read_paging(const std::function<std::optional<std::string>(std::string_view)>& param, int& page, int& limit,
                 std::vector<FieldError>& errors, int max_limit) {
  auto read = [&](const char* name, long long max, const std::string& message, int& out) {
    auto v = param(name);
    if (!v) return;
    long long n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || ptr != v->data() + v->size() || v->empty() || n < 1 || n > max)
      errors.push_back({name, message});
    else
      out = static_cast<int>(n);
  };
  read("page", 1'000'000, "must be an integer >= 1", page);
  read("limit", max_limit, "must be an integer between 1 and " + std::to_string(max_limit), limit);
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  return strict_query_param(query, name);
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  for (const auto& [key, value] : path_params)
    if (key == name) return value;
  return empty;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

bool is_valid_request_id(std::string_view id) {
  // ASCII letters and digits, '-', '_' and '.', by table (std::isalnum is a call, and locale's).
  static constexpr auto kAllowed = byte_set(kDigitChars, kLowerChars, kUpperChars, "-_.");
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!kAllowed[static_cast<unsigned char>(c)]) return false;
  return true;
}

int status_of(Fault fault) {
  switch (fault) {
    case Fault::invalid: return 400;
    case Fault::unsupported: return 415;
    case Fault::unauthenticated: return 401;
    case Fault::forbidden: return 403;
    case Fault::not_found: return 404;
    case Fault::conflict: return 409;
    case Fault::refused: return 422;
  }
  return 400;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string problem_json(int status, std::string_view title, std::string_view detail, std::string_view instance,
                         std::string_view request_id, const std::vector<FieldError>& errors) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::kv(w, "type", "about:blank");
  json::kv(w, "title", title);
  w.Key("status");
  w.Int(status);
  json::kv(w, "detail", detail);
  json::kv(w, "instance", instance);
  json::kv(w, "requestId", request_id);
  w.Key("errors");
  w.StartArray();
  for (const auto& e : errors) {
    w.StartObject();
    json::kv(w, "field", e.field);
    json::kv(w, "message", e.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void Router::add(std::string method, std::string pattern, Handler handler, Dispatch dispatch) {
  auto segments = split_path(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler), dispatch});
}

namespace {

bool is_param_segment(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

Router::Match Router::match(Request& request) const {
  // Views into request.path, in memory each thread reuses: a service matches every request it serves.
  thread_local std::vector<std::string_view> segments;
  segments.clear();
  for_each_path_segment(request.path, [](std::string_view segment) {
    segments.push_back(segment);
    return true;
  });
  // OpenAPI's rule: of the patterns matching a path, those with the most literal segments name its
  // resource ("/api/users/me" is not "/api/users/{id}"); a method none of them takes is 405 with their
  // methods, even where a less literal pattern would take it.
  thread_local std::vector<const Route*> candidates;
  candidates.clear();
  std::size_t most_literal = 0;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::size_t literal = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& want = route.segments[i];
      if (is_param_segment(want)) ok = is_percent_encoded(segments[i]);
      else if (want != segments[i]) ok = false;
      else ++literal;
    }
    if (!ok || literal < most_literal) continue;
    if (literal > most_literal) candidates.clear();
    most_literal = literal;
    candidates.push_back(&route);
  }
  Match result;
  for (const Route* route : candidates) {
    if (route->method == request.method || (route->method == "GET" && request.method == "HEAD")) {
      request.path_params.clear();
      for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& want = route->segments[i];
        if (is_param_segment(want))
          request.path_params.emplace_back(want.substr(1, want.size() - 2), *percent_decode(segments[i], false));
      }
      result.handler = &route->handler;
      result.dispatch = route->dispatch;
      result.pattern = route->pattern;
      return result;
    }
  }
  for (const Route* route : candidates) {
    result.path_matched = true;
    const auto add = [&](std::string_view m) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += m;
    };
    add(route->method);
    if (route->method == "GET") add("HEAD");
  }
  return result;
}

}  // namespace shopmesh::core
