#pragma once
// The gateway's routing table, loaded from JSON configuration (gateway/routes.json by default):
// path rewrites for compatibility routes, then routes to upstream services.
//
// A rewrite maps a client's path ("from", whose "{name}" segments match any one segment) to a
// Shopmesh path ("to", where "{name}" is what it matched), for one method or any. Of the rewrites
// whose "from" matches a path, those with the most literal segments are its resource (OpenAPI's rule:
// "/api/v1/products/search" is not "/api/v1/products/{id}"); the first of them, in the order of the
// file, that takes the method wins, and a method none of them takes is not rewritten (405). It may also change the method ("toMethod": a
// seed's partial PUT is Shopmesh's PATCH) and name a dialect transform ("transform":
// "seed003.book", dialects.hpp) that edits the body on the way in and the answer on the way out.
// "dialects" claims a path prefix for a dialect ({"prefix": "/api/v1", "dialect": "seed004"}), so
// that errors there are shaped the dialect's way even where no rewrite matched.
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

struct Dialect;
struct Transform;

struct Rewrite {
  std::string method;  // empty: any method; GET also admits HEAD
  std::string from;    // a pattern: "{name}" segments match any one segment
  std::string to;      // "{name}" segments are replaced by what they matched in `from`
  std::string to_method;                // empty: the client's method
  const Transform* transform = nullptr;  // the dialect transform, if any (dialects.hpp)
  std::vector<std::string> from_segments;
};

/// A rewrite applied to a path: the new path and the rule that made it.
struct Rewritten {
  std::string path;
  const Rewrite* rule = nullptr;
};

/// A path prefix whose answers follow a dialect.
struct DialectPrefix {
  std::vector<std::string> segments;
  const Dialect* dialect = nullptr;
};

class RouteTable {
 public:
  /// Parses the JSON configuration; throws std::runtime_error naming the bad entry.
  static RouteTable parse(std::string_view json);

  /// Applies the first rewrite matching the method and the (normalized) path, if any.
  std::optional<Rewritten> rewrite(std::string_view method, std::string_view path) const;
  /// The methods rewrites take at the (normalized) path, for an Allow header ("GET, HEAD, POST"); empty
  /// when no rewrite's "from" matches it or one takes any method.
  std::string rewrite_methods(std::string_view path) const;
  /// The dialect claiming the (normalized) path by its prefix, or nullptr.
  const Dialect* dialect_at(std::string_view path) const;
  /// The most specific route whose pattern matches the normalized path and whose methods allow `method`.
  const Route* match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }
  /// The largest body limit of any route: the parser's limit before the route is known.
  std::size_t max_body_limit() const;

 private:
  std::vector<Route> routes_;  // most specific first
  std::vector<Rewrite> rewrites_;
  std::vector<DialectPrefix> dialects_;
};

/// Canonical form of a request path as the services' routers see it: empty segments collapsed
/// ("//"), no trailing slash. Dot segments ("." / ".."), which proxies and services might resolve
/// differently, are refused (nullopt), as is a path that does not start with '/'.
std::optional<std::string> normalize_path(std::string_view path);

}  // namespace shopmesh::gateway
