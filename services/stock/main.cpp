// The stock service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::stock {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"stock", 8086, {{"stock", &stock::migrations()}}, [](core::ServiceContext&) {}});
}
