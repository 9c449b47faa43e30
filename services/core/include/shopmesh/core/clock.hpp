#pragma once
// Wall-clock time as the mesh writes it in events and answers.
#include <string>

namespace shopmesh::core {

/// Current UTC time as RFC 3339 with microseconds: 2026-11-21T20:15:03.123456Z.
std::string now_rfc3339();

}  // namespace shopmesh::core
