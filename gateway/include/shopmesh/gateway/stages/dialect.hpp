#pragma once
// Stage 3, dialects (dialects.hpp): a request that a compatibility rewrite matched (routes.hpp) is
// put in Shopmesh's terms here, the rewrite's method and its transform's query and body, or
// answered 400 naming the client's field. On the way out every answer to it, from a later stage
// (401, 403, 404, 429, an upstream failure) as much as from the service, goes back into the
// client's terms: a 2xx through the transform's answer, then the dialect's envelope. A path a
// dialect claims by prefix gets the dialect's error shape where no rewrite matched. After CORS, so
// that a preflight is never wrapped; before everything that may answer a routed request.
#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class DialectStage final : public Stage {
 public:
  std::string_view name() const override { return "dialect"; }
  Answer request(Request& req, Exchange& ex) override;
  void response(Response& res, Exchange& ex) override;
  /// A dialect's answer is rewritten from the upstream's whole answer.
  bool reads_answer(const Exchange& ex) const override { return ex.rewrite != nullptr || ex.dialect != nullptr; }
};

}  // namespace shopmesh::gateway
