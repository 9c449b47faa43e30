#pragma once
// Stage 4, limits and framing: the session applies http_rules.hpp while it reads (header and body
// limits, smuggling-prone framing, unknown methods, bad paths, obs-fold) and records a refusal in
// the exchange instead of answering itself; this stage answers it, after the request id and CORS
// stages so that a refusal carries both like any other answer. The connection then closes.
#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

class FramingStage final : public Stage {
 public:
  std::string_view name() const override { return "framing"; }
  Answer request(Request& req, Exchange& ex) override;
};

}  // namespace shopmesh::gateway
