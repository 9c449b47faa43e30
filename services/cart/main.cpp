// The cart service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::cart {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"cart", 8084, {{"cart", &cart::migrations()}}, [](core::ServiceContext&) {}});
}
