// Argon2id hashing: encoded parameters, verification, rehash detection, and the concurrency bound.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "shopmesh/auth/passwords.hpp"

using namespace shopmesh::auth;
using namespace std::chrono_literals;

namespace {
// Small parameters keep unit tests fast; production defaults are checked separately.
constexpr Argon2Params kFast{1024, 1, 1};
}  // namespace

TEST_CASE("auth: OWASP Argon2id parameters are the defaults", "[auth][passwords]") {
  Argon2Params p;
  CHECK(p.memory_kib == 19456);
  CHECK(p.iterations == 2);
  CHECK(p.parallelism == 1);
}

TEST_CASE("auth: hashes are Argon2id, salted, and carry their parameters", "[auth][passwords]") {
  Argon2Limiter limiter(2, 2, 1s);
  PasswordHasher hasher(kFast, limiter);
  const auto a = hasher.hash("correct horse battery");
  const auto b = hasher.hash("correct horse battery");
  CHECK(a.rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0) == 0);
  CHECK(a != b);  // random salt
  CHECK(a.find("correct") == std::string::npos);
  CHECK(hasher.verify(a, "correct horse battery"));
  CHECK_FALSE(hasher.verify(a, "correct horse batterY"));
  CHECK_FALSE(hasher.verify("not a hash", "x"));
  CHECK_FALSE(hasher.verify_dummy("anything"));
  REQUIRE(parse_params(a));
  CHECK(*parse_params(a) == kFast);
  CHECK_FALSE(parse_params("$argon2i$v=19$m=1024,t=1,p=1$abc$def"));
  CHECK_FALSE(parse_params("$argon2id$v=19$m=x,t=1,p=1$abc$def"));
}

TEST_CASE("auth: a hash made with other parameters is due for rehash, and still verifies", "[auth][passwords]") {
  Argon2Limiter limiter(2, 2, 1s);
  PasswordHasher old_hasher(kFast, limiter);
  PasswordHasher new_hasher(Argon2Params{2048, 2, 1}, limiter);
  const auto old_hash = old_hasher.hash("pw-1234567");
  CHECK_FALSE(old_hasher.needs_rehash(old_hash));
  CHECK(new_hasher.needs_rehash(old_hash));
  CHECK(new_hasher.verify(old_hash, "pw-1234567"));  // parameters come from the hash
  CHECK(new_hasher.needs_rehash("garbage"));
}

TEST_CASE("auth: the limiter bounds concurrent hashes and refuses beyond its waiting line", "[auth][passwords]") {
  Argon2Limiter limiter(2, 1, 2s);
  {
    auto s1 = limiter.acquire();
    auto s2 = limiter.acquire();
    CHECK(limiter.running() == 2);
    std::atomic<bool> third_got_slot{false};
    std::thread waiter([&] {
      auto s3 = limiter.acquire();  // waits in line
      third_got_slot = true;
    });
    REQUIRE([&] {
      for (int i = 0; i < 200 && limiter.waiting() == 0; ++i) std::this_thread::sleep_for(5ms);
      return limiter.waiting() == 1;
    }());
    CHECK_THROWS_AS(limiter.acquire(), HashingOverloaded);  // line is full
    CHECK(limiter.rejected() == 1);
    { auto released = std::move(s1); }
    waiter.join();
    CHECK(third_got_slot);
  }
  CHECK(limiter.running() == 0);
}

TEST_CASE("auth: one client holds at most its share of the pool, another runs at once", "[auth][passwords]") {
  Argon2Limiter limiter(2, 4, 2s);  // per client: 1 running, 2 waiting
  REQUIRE(limiter.client_running_cap() == 1);
  REQUIRE(limiter.client_waiting_cap() == 2);
  auto flood = limiter.acquire("10.0.0.1");
  std::vector<std::thread> waiters;
  std::atomic<int> served{0};
  for (int i = 0; i < 2; ++i)
    waiters.emplace_back([&] {
      auto s = limiter.acquire("10.0.0.1");  // waits for the flood's own running slot
      ++served;
    });
  REQUIRE([&] {
    for (int i = 0; i < 200 && limiter.waiting() < 2; ++i) std::this_thread::sleep_for(5ms);
    return limiter.waiting() == 2;
  }());
  // The flooding client's share is full: refused at once, while the pool's line still has room.
  CHECK_THROWS_AS(limiter.acquire("10.0.0.1"), HashingOverloaded);
  // Another client is not behind the flood: the second running slot is its own at once.
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto other = limiter.acquire("10.0.0.2");
    CHECK(std::chrono::steady_clock::now() - t0 < 100ms);
    CHECK(limiter.running() == 2);
  }
  CHECK(served == 0);  // the freed slot was not the flood's to take
  { auto released = std::move(flood); }
  for (auto& t : waiters) t.join();
  CHECK(served == 2);
  CHECK(limiter.running() == 0);
  CHECK(limiter.waiting() == 0);
  // Without a client name (start-up seeding) only the pool's bounds apply.
  auto a = limiter.acquire();
  auto b = limiter.acquire();
  CHECK(limiter.running() == 2);
}

TEST_CASE("auth: a waiter gives up after the maximum wait", "[auth][passwords]") {
  Argon2Limiter limiter(1, 4, 20ms);
  auto held = limiter.acquire();
  CHECK_THROWS_AS(limiter.acquire(), HashingOverloaded);
  CHECK(limiter.waiting() == 0);
}

TEST_CASE("auth: many threads never exceed the concurrency bound", "[auth][passwords]") {
  Argon2Limiter limiter(2, 64, 10s);
  PasswordHasher hasher(kFast, limiter);
  std::atomic<int> peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 3; ++k) {
        auto slot = limiter.acquire();
        int now = limiter.running();
        int prev = peak.load();
        while (now > prev && !peak.compare_exchange_weak(prev, now)) {
        }
      }
      CHECK(hasher.verify(hasher.hash("pw-1234567"), "pw-1234567"));
    });
  for (auto& t : threads) t.join();
  CHECK(peak.load() <= 2);
  CHECK(limiter.rejected() == 0);
}
