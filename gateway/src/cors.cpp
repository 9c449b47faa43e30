#include "shopmesh/gateway/cors.hpp"

#include <algorithm>

namespace shopmesh::gateway {
namespace {

constexpr std::string_view kAllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kDefaultAllowedHeaders =
    "Authorization, Content-Type, Idempotency-Key, X-Request-Id, traceparent, tracestate";
constexpr std::string_view kExposedHeaders =
    "X-Request-Id, X-Cache, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, WWW-Authenticate, "
    "Location";

bool is_token_list(std::string_view v) {
  return v.size() <= 1024 && std::all_of(v.begin(), v.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == ',' || c == ' ';
         });
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins, std::chrono::seconds max_age) : max_age_(max_age) {
  for (auto& o : allowed_origins) {
    if (o == "*")
      any_ = true;
    else {
      while (!o.empty() && o.back() == '/') o.pop_back();
      origins_.push_back(std::move(o));
    }
  }
}

std::optional<std::string> CorsPolicy::allow_origin(std::string_view origin) const {
  if (origin.empty()) return std::nullopt;
  if (any_) return std::string("*");
  for (const auto& o : origins_)
    if (o == origin) return o;
  return std::nullopt;
}

bool CorsPolicy::is_preflight(std::string_view method, std::string_view origin, std::string_view request_method) {
  return method == "OPTIONS" && !origin.empty() && !request_method.empty();
}

CorsPolicy::HeaderList CorsPolicy::preflight_headers(std::string_view origin, std::string_view request_method,
                                                     std::string_view request_headers) const {
  HeaderList out;
  auto allowed = allow_origin(origin);
  if (!allowed) return out;
  (void)request_method;
  out.emplace_back("Access-Control-Allow-Origin", *allowed);
  out.emplace_back("Access-Control-Allow-Methods", std::string(kAllowedMethods));
  // Echo the requested headers when they are a plain token list (the gateway strips identity
  // headers anyway); otherwise offer the ones the API uses.
  out.emplace_back("Access-Control-Allow-Headers", !request_headers.empty() && is_token_list(request_headers)
                                                       ? std::string(request_headers)
                                                       : std::string(kDefaultAllowedHeaders));
  out.emplace_back("Access-Control-Max-Age", std::to_string(max_age_.count()));
  if (!any_) out.emplace_back("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return out;
}

CorsPolicy::HeaderList CorsPolicy::response_headers(std::string_view origin) const {
  HeaderList out;
  auto allowed = allow_origin(origin);
  if (!allowed) return out;
  out.emplace_back("Access-Control-Allow-Origin", *allowed);
  out.emplace_back("Access-Control-Expose-Headers", std::string(kExposedHeaders));
  if (!any_) out.emplace_back("Vary", "Origin");
  return out;
}

}  // namespace shopmesh::gateway
