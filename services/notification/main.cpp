// The notification service. Its HTTP API and event handlers are wired here as they are built.
#include "shopmesh/core/service.hpp"

namespace shopmesh::notification {
const std::vector<core::Migration>& migrations();
}

int main() {
  using namespace shopmesh;
  return core::run_service({"notification", 8088, {{"notification", &notification::migrations()}}, [](core::ServiceContext&) {}});
}
