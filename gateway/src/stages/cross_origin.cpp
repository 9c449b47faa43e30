#include "shopmesh/gateway/stages/cross_origin.hpp"

namespace shopmesh::gateway {

Answer CorsStage::request(Request& req, Exchange& ex) {
  ex.origin = std::string(req["origin"]);
  // A refused request is answered as refused (by the framing stage), preflight or not.
  if (ex.refusal || !CorsPolicy::is_preflight(ex.method, ex.origin, req["access-control-request-method"]))
    return std::nullopt;
  ex.route_id = preflight_route_id_;
  Response res{http::status::no_content, ex.version};
  for (auto& [k, v] : policy_.preflight_headers(ex.origin, req["access-control-request-method"],
                                                req["access-control-request-headers"]))
    res.set(k, v);
  ex.origin.clear();  // the preflight headers already carry what CORS needs
  return res;
}

void CorsStage::response(Response& res, Exchange& ex) {
  if (ex.origin.empty()) return;
  for (auto& [k, v] : policy_.response_headers(ex.origin)) res.set(k, v);
}

}  // namespace shopmesh::gateway
