#include "shopmesh/core/thread_name.hpp"

#include <pthread.h>
#include <sched.h>

#include <string>

namespace shopmesh::core {

void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

bool yield_on_wakeup() {
  const sched_param param{};  // SCHED_BATCH takes priority 0, as SCHED_OTHER does
  return pthread_setschedparam(pthread_self(), SCHED_BATCH, &param) == 0;
}

}  // namespace shopmesh::core
