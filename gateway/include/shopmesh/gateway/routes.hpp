#pragma once
// The gateway's routing table, loaded from JSON configuration (gateway/routes.json by default):
// path rewrites for compatibility routes, then routes to upstream services.
//
// A route is either a prefix ("prefix": "/api/products": the path and everything below it) or an
// exact path ("path": "/api/users"), optionally restricted to methods ("methods": ["GET"]; GET
// also admits HEAD). Patterns match whole segments and "{name}" matches any one segment, so
// "/api/orders/{id}/status" is expressible. The most specific route wins: more segments first,
// then exact before prefix, then more literal segments, then a method list before "any method".
//
// The shipped table (gateway/routes.json): /api/auth is public except /api/auth/logout, /me,
// /password (user) and /api/auth/users/{id}/role (admin); login and register have their own
// rate-limit classes. /api/users needs a user everywhere; because exact paths are supported, the
// listing (GET /api/users, exactly) and DELETE /api/users/{id} are admin at the gateway as well —
// the users service still checks X-User-Role itself (self-or-admin on /api/users/{id} is its call).
// Catalog reads are public and cached; catalog writes are admin.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::gateway {

enum class AuthPolicy { public_access, user, admin };

struct Route {
  std::string pattern;  // as configured; also the metrics label
  bool exact = false;
  std::vector<std::string> segments;  // "{x}" segments match anything
  std::vector<std::string> methods;   // empty: any method
  std::string service;
  AuthPolicy auth = AuthPolicy::user;
  std::chrono::milliseconds timeout{10'000};
  std::size_t body_limit = 1024 * 1024;
  bool cache = false;
  std::string rate_class = "default";
  std::size_t index = 0;  // position in RouteTable::routes(), for per-route metrics

  bool allows_method(std::string_view method) const;
  bool matches_path(std::string_view normalized_path) const;
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

  /// Applies the first matching rewrite to an exact (normalized) path; returns the new path if any.
  std::optional<std::string> rewrite(std::string_view method, std::string_view path) const;
  /// The most specific route whose pattern matches the normalized path and whose methods allow `method`.
  const Route* match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }
  /// The largest body limit of any route: the parser's limit before the route is known.
  std::size_t max_body_limit() const;

 private:
  std::vector<Route> routes_;  // most specific first
  std::vector<Rewrite> rewrites_;
};

/// Canonical form of a request path as the services' routers see it: empty segments collapsed
/// ("//"), no trailing slash. Dot segments ("." / ".."), which proxies and services might resolve
/// differently, are refused (nullopt), as is a path that does not start with '/'.
std::optional<std::string> normalize_path(std::string_view path);

}  // namespace shopmesh::gateway
