#pragma once
// Stage 6, the gateway's own endpoints and the end of the road for unrouted paths: GET /health
// (the process is alive), /api/openapi.yaml and the Swagger UI under /api/docs (docs_site.hpp);
// another method on any of these (and on /api/health) is 405 with Allow; a path no route matches is
// answered 404 here, so the stages after this one always have a route.
#include <cstddef>
#include <optional>
#include <string_view>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class DocsSite;

struct BuiltinRouteIds {
  std::size_t health = 0, openapi = 0, docs = 0, api_health = 0;
};

class BuiltinsStage final : public Stage {
 public:
  BuiltinsStage(DocsSite& docs, BuiltinRouteIds ids) : docs_(docs), ids_(ids) {}
  std::string_view name() const override { return "builtins"; }
  Answer request(Request& req, Exchange& ex) override;

  /// GET /health's answer (also served on the admin listener).
  static Response liveness(unsigned version);

 private:
  /// The metrics id of the gateway's own resource at `path`, if it is one.
  std::optional<std::size_t> builtin_route(std::string_view path) const;

  DocsSite& docs_;
  BuiltinRouteIds ids_;
};

}  // namespace shopmesh::gateway
