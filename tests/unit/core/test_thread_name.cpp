// core::name_this_thread and core::yield_on_wakeup, on a thread of the test's own: the name is what
// the kernel shows (cut to 15 bytes), the policy SCHED_BATCH, and a thread it starts inherits both
// the policy (as librdkafka's threads do, started by a consumer on such a thread).
#include <pthread.h>
#include <sched.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "shopmesh/core/thread_name.hpp"

TEST_CASE("thread: named and yielding on wakeup, inherited by the threads it starts") {
  std::string name;
  int policy = -1, inherited = -1;
  bool yielded = false;
  std::thread([&] {
    shopmesh::core::name_this_thread("a-name-longer-than-fifteen-bytes");
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    name = buf;
    yielded = shopmesh::core::yield_on_wakeup();
    policy = sched_getscheduler(0);
    std::thread([&] { inherited = sched_getscheduler(0); }).join();
  }).join();
  CHECK(name == "a-name-longer-t");
  REQUIRE(yielded);
  CHECK(policy == SCHED_BATCH);
  CHECK(inherited == SCHED_BATCH);
  CHECK(sched_getscheduler(0) == SCHED_OTHER);  // the test's own thread is untouched
}
