#pragma once
// Names the calling thread as `top -H`, `ps -L`, perf and gdb show it (Linux keeps 15 bytes; a
// longer name is cut). Every long-lived thread of a service names itself after its role.
#include <string_view>

namespace shopmesh::core {

void name_this_thread(std::string_view name);

}  // namespace shopmesh::core
