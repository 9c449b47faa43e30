// The auth service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::auth {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"auth", 8081, {{"auth", &auth::migrations()}}, [](core::ServiceContext&) {}});
}
