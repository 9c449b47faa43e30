#pragma once
// The gateway's routing table, loaded from JSON configuration (gateway/routes.json by default):
// path rewrites for compatibility routes, then longest-prefix routes to upstream services.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::gateway {

enum class AuthPolicy { public_access, user, admin };

struct Route {
  std::string prefix;
  std::vector<std::string> methods;  // empty: any method
  std::string service;
  AuthPolicy auth = AuthPolicy::user;
  std::chrono::milliseconds timeout{10'000};
  std::size_t body_limit = 1024 * 1024;
  bool cache = false;
  std::string rate_class = "default";
};

struct Rewrite {
  std::string method;  // empty: any method
  std::string from;
  std::string to;
};

class RouteTable {
 public:
  /// Parses the JSON configuration; throws std::runtime_error naming the bad entry.
  static RouteTable parse(std::string_view json);

  /// Applies the first matching rewrite to an exact path; returns the new path if any.
  std::optional<std::string> rewrite(std::string_view method, std::string_view path) const;
  /// The route with the longest prefix that matches on a segment boundary, and whose methods allow `method`.
  const Route* match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;  // sorted by prefix length, longest first
  std::vector<Rewrite> rewrites_;
};

}  // namespace shopmesh::gateway
