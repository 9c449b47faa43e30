#pragma once
// The names every integration test file uses unqualified. Include it from test files only, never
// from a header: it brings namespaces in at global scope.
#include <chrono>

#include "stack_env.hpp"

using namespace shopmesh;  // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;
using shopmesh::testing::eventually;
using shopmesh::testing::stack_var;
