#include "shopmesh/gateway/stages/builtins.hpp"

#include "shopmesh/gateway/docs_site.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {
namespace {

constexpr std::string_view kDocs = "/api/docs";

bool is_docs_path(std::string_view path) {
  return path == kDocs || (path.size() > kDocs.size() && path.substr(0, kDocs.size() + 1) == "/api/docs/");
}

}  // namespace

std::optional<std::size_t> BuiltinsStage::builtin_route(std::string_view path) const {
  if (path == "/health") return ids_.health;
  if (path == "/api/health") return ids_.api_health;  // GET and HEAD are the health stage's
  if (path == "/api/openapi.yaml") return ids_.openapi;
  if (is_docs_path(path)) return ids_.docs;
  return std::nullopt;
}

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
  if (!get) {
    // The gateway's own resources exist whatever the method: another method is 405, not 404 (RFC 9110 §15.5.6).
    if (const auto id = builtin_route(path)) {
      ex.route_id = *id;
      Response res = problem(http::status::method_not_allowed, "This resource answers GET and HEAD only.", ex);
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
  }
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
  if (get && is_docs_path(path)) {
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
  if (ex.route == nullptr && !ex.allow.empty()) {
    // A seed's path (a rewrite) called with a method it does not take.
    Response res = problem(http::status::method_not_allowed, "This method is not allowed on this resource.", ex);
    res.set(http::field::allow, ex.allow);
    return res;
  }
  if (ex.route == nullptr) return problem(http::status::not_found, "No such route.", ex);
  ex.route_id = ex.route->index;
  return std::nullopt;
}

}  // namespace shopmesh::gateway
