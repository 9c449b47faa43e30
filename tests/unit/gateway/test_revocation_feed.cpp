// RevocationFeed: when the gateway's revocation set can be trusted alone (replayed, fresh), and
// what a session check's answer means.
#include <catch2/catch.hpp>

#include "shopmesh/gateway/revocation_feed.hpp"
#include "shopmesh/gateway/session_check.hpp"

using namespace shopmesh::gateway;
using namespace std::chrono_literals;

namespace {

const RevocationFeed::Clock::time_point t0 = RevocationFeed::Clock::time_point{} + 1'000'000s;

}  // namespace

TEST_CASE("revocation feed: not replayed until a probe taken after the assignment is caught up with",
          "[gateway][revocation]") {
  RevocationFeed feed;
  CHECK_FALSE(feed.replayed());
  CHECK_FALSE(feed.fresh(t0, 500ms));
  feed.assigned();
  feed.probed(t0, {{0, 10}, {1, 0}, {2, 4}});
  CHECK_FALSE(feed.replayed());
  feed.progress(0, 10);
  CHECK_FALSE(feed.replayed());  // partition 2 still behind
  feed.progress(2, 3);
  CHECK_FALSE(feed.replayed());
  feed.progress(2, 4);  // an empty partition (end 0) needs nothing
  CHECK(feed.replayed());
  CHECK(feed.fresh(t0 + 400ms, 500ms));
  CHECK_FALSE(feed.fresh(t0 + 600ms, 500ms));
  CHECK(feed.fresh_as_of() == t0);
}

TEST_CASE("revocation feed: goes stale when probes stop being met, fresh again when they are",
          "[gateway][revocation]") {
  RevocationFeed feed;
  feed.assigned();
  feed.progress(0, 5);
  feed.probed(t0, {{0, 5}});
  REQUIRE(feed.fresh(t0, 500ms));
  // The broker stops answering: no probe, so freshness ages.
  CHECK_FALSE(feed.fresh(t0 + 2s, 500ms));
  // A probe shows new revocations not read yet: still stale until they are.
  feed.probed(t0 + 2s, {{0, 7}});
  CHECK_FALSE(feed.fresh(t0 + 2s, 500ms));
  feed.progress(0, 7);
  CHECK(feed.fresh(t0 + 2s + 100ms, 500ms));
  CHECK(feed.fresh_as_of() == t0 + 2s);
}

TEST_CASE("revocation feed: a steady stream cannot keep it from becoming fresh", "[gateway][revocation]") {
  RevocationFeed feed;
  feed.assigned();
  feed.probed(t0, {{0, 10}});
  // Newer probes while the first is unmet are ignored: the first one's moment is what gets vouched for.
  feed.probed(t0 + 250ms, {{0, 12}});
  feed.progress(0, 11);
  CHECK(feed.replayed());
  CHECK(feed.fresh_as_of() == t0);
  feed.probed(t0 + 500ms, {{0, 12}});
  feed.progress(0, 12);
  CHECK(feed.fresh_as_of() == t0 + 500ms);
}

TEST_CASE("revocation feed: a new assignment is stale until caught up, the first replay stays done",
          "[gateway][revocation]") {
  RevocationFeed feed;
  feed.assigned();
  feed.probed(t0, {{0, 1}});
  feed.progress(0, 1);
  REQUIRE(feed.fresh(t0, 500ms));
  feed.unassigned();
  CHECK_FALSE(feed.fresh(t0, 500ms));
  CHECK(feed.replayed());  // ready still: tokens are checked with auth while stale
  feed.assigned();
  feed.progress(0, 1);  // progress alone proves nothing without a probe
  CHECK_FALSE(feed.fresh(t0 + 1s, 500ms));
  feed.probed(t0 + 1s, {{0, 1}});
  CHECK(feed.fresh(t0 + 1s, 500ms));
}

TEST_CASE("session check: auth's answer", "[gateway][revocation]") {
  CHECK(SessionChecker::parse_answer(200, R"({"active":true})") == SessionChecker::State::active);
  CHECK(SessionChecker::parse_answer(200, R"({"active":false})") == SessionChecker::State::revoked);
  CHECK(SessionChecker::parse_answer(404, "") == SessionChecker::State::revoked);
  CHECK(SessionChecker::parse_answer(200, R"({"active":"yes"})") == SessionChecker::State::unknown);
  CHECK(SessionChecker::parse_answer(200, "not json") == SessionChecker::State::unknown);
  CHECK(SessionChecker::parse_answer(503, R"({"active":true})") == SessionChecker::State::unknown);
  CHECK(SessionChecker::parse_answer(401, "") == SessionChecker::State::unknown);
}
