#include "shopmesh/gateway/stages/framing.hpp"

namespace shopmesh::gateway {

Answer FramingStage::request(Request&, Exchange& ex) {
  if (!ex.refusal) return std::nullopt;
  ex.close = true;
  return problem(ex.refusal->status, ex.refusal->detail, ex);
}

}  // namespace shopmesh::gateway
