#include "shopmesh/gateway/stages/admin.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/mesh_monitor.hpp"
#include "shopmesh/gateway/metrics.hpp"
#include "shopmesh/gateway/revocation.hpp"
#include "shopmesh/gateway/stages/builtins.hpp"

namespace shopmesh::gateway {
namespace {

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace
}  // namespace shopmesh::gateway

// The mesh page, embedded at build time (gateway/assets/mesh.html).
std::string_view mesh_page_html();

namespace shopmesh::gateway {

bool AdminStage::authorized(const Request& req) const {
  if (metrics_token_.empty()) return true;
  const auto token = bearer_token(header_value(req, http::field::authorization).value_or(""));
  return token && constant_time_equals(*token, metrics_token_);
}

Answer AdminStage::request(Request& req, Exchange& ex) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = problem(http::status::method_not_allowed, "The admin listener only answers GET.", ex);
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  if (ex.path == "/metrics") {
    ex.route_id = ids_.metrics;
    if (!authorized(req)) return unauthorized(ex, header_value(req, http::field::authorization).has_value(), "");
    metrics_.revocations(revocations_.size());
    Response res{http::status::ok, ex.version};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.body() = prometheus::TextSerializer().Serialize(registry_.Collect());
    return res;
  }
  if (ex.path == "/health") {
    ex.route_id = ids_.health;
    return BuiltinsStage::liveness(ex.version);
  }
  if (ex.path == "/" && mesh_view_ != nullptr) {
    ex.route_id = ids_.mesh_page;
    Response res{http::status::ok, ex.version};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    // Everything the page needs is in it: nothing may be fetched but its own /mesh.json.
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
            "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.body() = std::string(mesh_page_html());
    return res;
  }
  if (ex.path == "/mesh.json" && mesh_view_ != nullptr) {
    ex.route_id = ids_.mesh_json;
    if (!authorized(req)) return unauthorized(ex, header_value(req, http::field::authorization).has_value(), "");
    auto json = mesh_view_->latest();
    if (!json) {
      // The first look in a while starts the rounds (mesh_monitor.hpp); the first one takes a moment.
      Response res = problem(http::status::service_unavailable,
                             "The mesh view is starting: its first round of scrapes is not done yet.", ex);
      res.set(http::field::retry_after, "1");
      return res;
    }
    Response res{http::status::ok, ex.version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = *json;
    return res;
  }
  return problem(http::status::not_found, "The admin listener serves /, /mesh.json, /metrics and /health.", ex);
}

}  // namespace shopmesh::gateway
