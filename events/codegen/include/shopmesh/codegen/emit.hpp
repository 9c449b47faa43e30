#pragma once
// C++ code for parsed schemas: one header/source pair per schema, plus all.hpp and the registry.
#include <string>
#include <vector>

#include "shopmesh/codegen/schema.hpp"

namespace shopmesh::codegen {

/// A file to write, relative to the output directory.
struct GeneratedFile {
  std::string path;  // include/shopmesh/contracts/order_created_v1.hpp, src/order_created_v1.cpp, ...
  std::string content;
};

/// The code for `schemas`: per schema include/shopmesh/contracts/<stem>.hpp and src/<stem>.cpp;
/// with `registry`, also include/shopmesh/contracts/all.hpp and src/registry.cpp (all_schemas()).
/// Throws SchemaError when two schemas or generated names collide.
std::vector<GeneratedFile> generate(std::vector<Schema> schemas, bool registry);

}  // namespace shopmesh::codegen
