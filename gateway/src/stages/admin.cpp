#include "shopmesh/gateway/stages/admin.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "shopmesh/gateway/auth.hpp"
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

Answer AdminStage::request(Request& req, Exchange& ex) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = problem(http::status::method_not_allowed, "The admin listener only answers GET.", ex);
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  if (ex.path == "/metrics") {
    ex.route_id = ids_.metrics;
    if (!metrics_token_.empty()) {
      const auto authorization = header_value(req, http::field::authorization);
      auto token = bearer_token(authorization.value_or(""));
      if (!token || !constant_time_equals(*token, metrics_token_))
        return unauthorized(ex, authorization.has_value(), "");
    }
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
  return problem(http::status::not_found, "The admin listener serves /metrics and /health.", ex);
}

}  // namespace shopmesh::gateway
