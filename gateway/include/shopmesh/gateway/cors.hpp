#pragma once
// CORS: which browser origins may call the API, the preflight answer, and the headers added to
// actual responses. Configured by CORS_ALLOWED_ORIGINS ("*", or a comma-separated list of
// origins such as https://shop.example.com; empty disables CORS headers).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopmesh::gateway {

class CorsPolicy {
 public:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;

  CorsPolicy(std::vector<std::string> allowed_origins, std::chrono::seconds max_age);

  bool enabled() const { return any_ || !origins_.empty(); }
  /// The Access-Control-Allow-Origin value for a request's Origin, or nullopt when not allowed.
  std::optional<std::string> allow_origin(std::string_view origin) const;
  /// A preflight is an OPTIONS request with Origin and Access-Control-Request-Method.
  static bool is_preflight(std::string_view method, std::string_view origin, std::string_view request_method);
  /// Headers of the 204 answer to a preflight (empty when the origin is not allowed).
  HeaderList preflight_headers(std::string_view origin, std::string_view request_method,
                               std::string_view request_headers) const;
  /// Headers added to an actual response for a request with this Origin (empty when not allowed).
  HeaderList response_headers(std::string_view origin) const;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
  std::chrono::seconds max_age_;
};

}  // namespace shopmesh::gateway
