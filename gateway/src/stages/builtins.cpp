#include "shopmesh/gateway/stages/builtins.hpp"

#include "shopmesh/gateway/docs_site.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

Response BuiltinsStage::liveness(unsigned version) {
  Response res{http::status::ok, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = R"({"service":"gateway","status":"ok"})";
  return res;
}

Answer BuiltinsStage::request(Request& req, Exchange& ex) {
  const std::string& path = ex.path;
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (get && path == "/health") {
    ex.route_id = ids_.health;
    return liveness(ex.version);
  }
  if (get && path == "/api/openapi.yaml") {
    ex.route_id = ids_.openapi;
    auto doc = docs_.openapi();
    if (doc.status != DocsSite::Status::ok)
      return problem(http::status::not_found, "The OpenAPI document (" + docs_.openapi_file() + ") is not there.", ex);
    Response res{http::status::ok, ex.version};
    res.set(http::field::content_type, doc.content_type);
    res.set(http::field::cache_control, "no-cache");
    res.body() = *doc.body;
    return res;
  }
  constexpr std::string_view kDocs = "/api/docs";
  if (get && (path == kDocs || (path.size() > kDocs.size() && path.compare(0, kDocs.size() + 1, "/api/docs/") == 0))) {
    ex.route_id = ids_.docs;
    const std::string_view name = path.size() > kDocs.size() ? std::string_view(path).substr(kDocs.size() + 1) : "";
    auto file = docs_.docs_file(name);
    if (file.status == DocsSite::Status::not_installed)
      return problem(http::status::service_unavailable,
                     "Swagger UI is not installed (run scripts/bootstrap, or set SWAGGER_UI_DIR).", ex);
    if (file.status != DocsSite::Status::ok) return problem(http::status::not_found, "No such file.", ex);
    Response res{http::status::ok, ex.version};
    res.set(http::field::content_type, file.content_type);
    res.set(http::field::cache_control, name.empty() || name == "index.html" || name == "swagger-initializer.js"
                                            ? "no-cache"
                                            : "public, max-age=3600");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = *file.body;
    return res;
  }
  if (ex.route == nullptr) return problem(http::status::not_found, "No such route.", ex);
  ex.route_id = ex.route->index;
  return std::nullopt;
}

}  // namespace shopmesh::gateway
