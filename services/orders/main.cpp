// The orders service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::orders {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"orders", 8085, {{"orders", &orders::migrations()}}, [](core::ServiceContext&) {}});
}
