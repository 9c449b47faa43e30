#include "stack_env.hpp"

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::testing {

std::string stack_var(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    std::fprintf(stderr, "%s is not set: integration tests need the stack (run them with `make test`)\n", name);
    std::exit(4);
  }
  return v;
}

const core::MeshAuth& mesh() {
  static const core::MeshAuth signer("test", {stack_var("MESH_KEY")});
  return signer;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace shopmesh::testing
