#pragma once
// Runs the built meshctl binary (next to integration_tests) as a subprocess with the stack's
// environment, capturing its exit code, stdout and stderr.
#include <chrono>
#include <string>
#include <vector>

namespace shopmesh::testing {

struct MeshctlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  /// stdout split into lines (without the newlines).
  std::vector<std::string> lines() const;
};

/// `meshctl ARGS...`; the process is killed (and the test fails) after `timeout`.
MeshctlRun meshctl(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(90));

}  // namespace shopmesh::testing
