// The shipping service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::shipping {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"shipping", 8087, {{"shipping", &shipping::migrations()}}, [](core::ServiceContext&) {}});
}
