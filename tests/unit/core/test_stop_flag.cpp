// core::StopFlag: a pause ends when its time is up, at once when a stop is requested (during or before).
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "shopmesh/core/stop_flag.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("stop flag: a pause lasts its time unless a stop is requested") {
  shopmesh::core::StopFlag stop;
  CHECK_FALSE(stop.requested());
  auto t0 = Clock::now();
  CHECK_FALSE(stop.wait_for(30ms));
  CHECK(Clock::now() - t0 >= 30ms);

  std::thread asker([&] {
    std::this_thread::sleep_for(50ms);
    stop.request();
  });
  t0 = Clock::now();
  CHECK(stop.wait_for(10s));  // ends when asked, not after ten seconds
  CHECK(Clock::now() - t0 < 5s);
  asker.join();
  CHECK(stop.requested());
  CHECK(static_cast<bool>(stop));

  t0 = Clock::now();
  CHECK(stop.wait_for(10s));  // already requested: no pause at all
  CHECK(Clock::now() - t0 < 1s);
}
