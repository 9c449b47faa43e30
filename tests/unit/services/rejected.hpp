#pragma once
// What the domain refused: the status a DomainError thrown by `f` is answered with, and the fields
// it names; {0, {}} when `f` throws nothing.
#include <string>
#include <utility>
#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"

namespace shopmesh::testing {

using Fields = std::vector<std::string>;

template <class F>
std::pair<int, Fields> rejected(F&& f) {
  try {
    f();
  } catch (const core::DomainError& e) {
    Fields fields;
    for (const auto& err : e.errors()) fields.push_back(err.field);
    return {core::status_of(e.fault()), fields};
  }
  return {0, {}};
}

}  // namespace shopmesh::testing
