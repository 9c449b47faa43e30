#pragma once
// The lists of stages, in the order a request meets them: one line per stage (stage.hpp).
#include <memory>
#include <vector>

#include "shopmesh/gateway/stage.hpp"

namespace shopmesh::gateway {

struct GatewayParts;
class Upstreams;

/// The public listener's chain.
std::vector<std::unique_ptr<Stage>> public_stages(const GatewayParts& parts, const Upstreams& upstreams);
/// The admin listener's chain (loopback: /metrics and /health).
std::vector<std::unique_ptr<Stage>> admin_stages(const GatewayParts& parts);

}  // namespace shopmesh::gateway
