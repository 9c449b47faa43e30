#pragma once
// Compatibility of the current schemas with the released ones (contracts/events/released/): a
// reader built from the current schemas must accept every event valid under the released schema
// of the same type and version, and no released field may disappear.
#include <filesystem>
#include <string>
#include <vector>

#include "shopmesh/codegen/schema.hpp"

namespace shopmesh::codegen {

/// Breaking changes from `released` to `current` of one type and version, each as
/// "<file>: <field path>: <what changed>"; empty when compatible.
std::vector<std::string> compare_schemas(const Schema& released, const Schema& current);

/// Every breaking change between the schema files of two directories, including released files
/// that are missing from `current_dir`. Unreadable schemas are reported as problems too.
std::vector<std::string> check_compat(const std::filesystem::path& released_dir,
                                      const std::filesystem::path& current_dir);

}  // namespace shopmesh::codegen
