#include "shopmesh/contracts/common.hpp"

namespace shopmesh::contracts {

std::string to_string(const DecodeError& error) { return error.path + ": " + error.message; }

std::string describe(const std::vector<DecodeError>& errors) {
  std::string text;
  for (const DecodeError& error : errors) {
    if (!text.empty()) text += "; ";
    text += to_string(error);
  }
  return text;
}

const SchemaInfo* find_schema(std::string_view type, int version) {
  for (const SchemaInfo& info : all_schemas())
    if (info.type == type && info.version == version) return &info;
  return nullptr;
}

}  // namespace shopmesh::contracts
