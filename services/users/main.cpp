// The users service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::users {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"users", 8082, {{"users", &users::migrations()}}, [](core::ServiceContext&) {}});
}
