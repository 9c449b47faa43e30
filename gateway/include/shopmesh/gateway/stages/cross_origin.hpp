#pragma once
// Stage 2, CORS (the policy itself: cors.hpp): a browser's preflight is answered here, before any
// routing or authentication (browsers send no token with it); every other answer to a request with
// an allowed Origin gets the CORS response headers on its way out.
#include <cstddef>

#include "shopmesh/gateway/cors.hpp"
#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class CorsStage final : public Stage {
 public:
  /// `preflight_route_id`: the metrics label of preflight answers.
  CorsStage(const CorsPolicy& policy, std::size_t preflight_route_id)
      : policy_(policy), preflight_route_id_(preflight_route_id) {}
  std::string_view name() const override { return "cors"; }
  Answer request(Request& req, Exchange& ex) override;
  void response(Response& res, Exchange& ex) override;

 private:
  const CorsPolicy& policy_;
  std::size_t preflight_route_id_;
};

}  // namespace shopmesh::gateway
