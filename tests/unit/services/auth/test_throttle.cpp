// The per-account guessing policy (services/auth/include/shopmesh/auth/throttle.hpp).
#include <catch2/catch.hpp>

#include "shopmesh/auth/throttle.hpp"

using namespace shopmesh::auth;
using std::chrono::seconds;

TEST_CASE("auth: password checks lock after 5 failures in a row, doubling up to a minute", "[auth]") {
  for (int f = 0; f < kFreeFailures; ++f) CHECK(lock_after(f) == seconds{0});
  CHECK(lock_after(5) == seconds{1});
  CHECK(lock_after(6) == seconds{2});
  CHECK(lock_after(10) == seconds{32});
  CHECK(lock_after(11) == kMaxLock);
  CHECK(lock_after(1'000'000) == kMaxLock);
  // At most about 100 failures an hour: the locks of 100 failures add up to more than an hour.
  seconds total{0};
  for (int f = 1; f <= 100; ++f) total += lock_after(f);
  CHECK(total >= std::chrono::hours{1});
}

TEST_CASE("auth: failures count under the e-mail, whatever its letter case", "[auth]") {
  CHECK(throttle_subject("Ann.Example@Shop.TEST") == "ann.example@shop.test");
  CHECK(throttle_subject("ann.example@shop.test") == throttle_subject("ANN.EXAMPLE@SHOP.TEST"));
}
