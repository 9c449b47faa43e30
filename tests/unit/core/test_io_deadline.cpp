// core::IoDeadline on a loopback socket pair: an expired deadline ends the pending read with
// beast::error::timeout; a deadline moved later, or disarmed, does not; one moved earlier does.
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core/error.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "shopmesh/core/clock.hpp"
#include "shopmesh/core/io_deadline.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using shopmesh::core::IoDeadline;

namespace {

struct Pair {
  asio::io_context ioc;
  tcp::socket client{ioc};
  tcp::socket server{ioc};
  Pair() {
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

struct Outcome {
  boost::system::error_code ec;
  std::chrono::steady_clock::duration after{};
  std::chrono::steady_clock::time_point at{};  // when the read completed
};

// Reads once from pair.server under `deadline`; `during` runs after the read has started.
template <class During>
Outcome read_once(Pair& pair, IoDeadline& deadline, During during) {
  std::array<char, 16> buf{};
  std::optional<Outcome> outcome;
  const auto started = std::chrono::steady_clock::now();
  pair.server.async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t) {
    const auto now = std::chrono::steady_clock::now();
    outcome = Outcome{deadline.checked(ec), now - started, now};
  });
  during();
  pair.ioc.restart();
  while (!outcome && pair.ioc.run_one_for(10s) > 0) {
  }
  REQUIRE(outcome.has_value());
  return *outcome;
}

// The peer writes one byte after `delay`.
void write_after(Pair& pair, asio::steady_timer& timer, std::chrono::milliseconds delay) {
  timer.expires_after(delay);
  timer.async_wait([&pair](const boost::system::error_code&) { asio::write(pair.client, asio::buffer("x", 1)); });
}

}  // namespace

TEST_CASE("io deadline: an expired deadline ends the pending read with a timeout") {
  Pair pair;
  IoDeadline deadline(pair.server);
  // The deadline counts from the coarse clock's last update, which may lag the precise clock by a
  // tick or more (10.6 ms seen on a CI VM): the read ends no sooner than that reading + 50 ms.
  const auto counted_from = shopmesh::core::coarse_steady_now();
  deadline.expires_after(50ms);
  const auto outcome = read_once(pair, deadline, [] {});
  CHECK(outcome.ec == boost::beast::error::timeout);
  CHECK(outcome.at >= counted_from + 50ms);
  CHECK(outcome.after < 5s);
}

TEST_CASE("io deadline: a deadline moved later lets the read finish") {
  Pair pair;
  IoDeadline deadline(pair.server);
  asio::steady_timer peer(pair.ioc);
  deadline.expires_after(50ms);  // the timer is set for this one ...
  deadline.expires_after(5s);    // ... and sleeps again when it wakes
  const auto outcome = read_once(pair, deadline, [&] { write_after(pair, peer, 300ms); });
  CHECK(!outcome.ec);
  CHECK(outcome.after >= 300ms);
}

TEST_CASE("io deadline: a deadline moved earlier is kept") {
  Pair pair;
  IoDeadline deadline(pair.server);
  deadline.expires_after(60s);
  deadline.expires_after(50ms);
  const auto outcome = read_once(pair, deadline, [] {});
  CHECK(outcome.ec == boost::beast::error::timeout);
  CHECK(outcome.after < 5s);
}

TEST_CASE("io deadline: a disarmed deadline cancels nothing, and the next one counts from when it is set") {
  Pair pair;
  IoDeadline deadline(pair.server);
  deadline.expires_after(50ms);
  deadline.disarm();
  asio::steady_timer peer(pair.ioc);
  const auto outcome = read_once(pair, deadline, [&] { write_after(pair, peer, 300ms); });
  CHECK(!outcome.ec);  // the timer woke at 50 ms and found nothing armed

  deadline.expires_after(50ms);
  const auto second = read_once(pair, deadline, [] {});
  CHECK(second.ec == boost::beast::error::timeout);
}

TEST_CASE("io deadline: an operation that completes after the deadline passed is a timeout too") {
  // The timer's cancel can come while no operation is pending (a read's completion already queued,
  // the coroutine not yet resumed): the next outcome checked must still be the timeout, or a client
  // sending a byte now and then would read on past it.
  Pair pair;
  IoDeadline deadline(pair.server);
  deadline.expires_after(20ms);
  asio::write(pair.client, asio::buffer("x", 1));
  pair.ioc.run_for(100ms);  // the timer fires with nothing to cancel
  const auto outcome = read_once(pair, deadline, [] {});  // completes at once: the byte is there
  CHECK(outcome.ec == boost::beast::error::timeout);
  deadline.disarm();  // nothing expired once disarmed
  asio::write(pair.client, asio::buffer("y", 1));
  CHECK_FALSE(read_once(pair, deadline, [] {}).ec);
}

TEST_CASE("io deadline: an operation cancelled otherwise is not reported as a timeout") {
  Pair pair;
  IoDeadline deadline(pair.server);
  deadline.expires_after(5s);
  const auto outcome = read_once(pair, deadline, [&] { pair.server.cancel(); });
  CHECK(outcome.ec == asio::error::operation_aborted);
}

TEST_CASE("io deadline: destroyed with its timer pending") {
  Pair pair;
  {
    IoDeadline deadline(pair.server);
    deadline.expires_after(20ms);
  }
  pair.ioc.run_for(100ms);  // the pending wait completes after its owner is gone
  CHECK(pair.server.is_open());
}

TEST_CASE("io deadline: the coarse clocks are at most a few ticks behind the precise ones, never ahead") {
  for (int i = 0; i < 100; ++i) {
    const auto steady_before = std::chrono::steady_clock::now();
    const auto coarse_steady = shopmesh::core::coarse_steady_now();
    const auto coarse_system = shopmesh::core::coarse_system_now();
    const auto system_after = std::chrono::system_clock::now();
    CHECK(coarse_steady <= std::chrono::steady_clock::now());
    CHECK(steady_before - coarse_steady < 50ms);  // a tick is 1-10 ms (HZ); a busy machine may add some
    CHECK(coarse_system <= system_after);
    CHECK(system_after - coarse_system < 50ms);
  }
}
