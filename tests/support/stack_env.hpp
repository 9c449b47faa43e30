#pragma once
// What integration tests know about the running stack: read from the environment that
// `scripts/stack ephemeral` exports. Without it the tests exit with code 4 (CTest: skipped).
#include <chrono>
#include <functional>
#include <string>

namespace shopmesh::core {
class MeshAuth;
}

namespace shopmesh::testing {

/// The value of a variable the stack exports; skips the whole run when it is missing.
std::string stack_var(const char* name);

/// The stack's mesh key (MESH_KEY), signing as caller "test": set it as HttpCall::mesh to call a
/// service's port directly, as another service would.
const core::MeshAuth& mesh();

/// Polls `condition` until it holds or `timeout` passes; true when it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50));

}  // namespace shopmesh::testing
