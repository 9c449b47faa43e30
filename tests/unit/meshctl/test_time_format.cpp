// meshctl TIME arguments and timestamp formatting.
#include <catch2/catch.hpp>

#include "meshctl/time_format.hpp"

using namespace shopmesh::meshctl;
using namespace std::chrono;

namespace {

TimePoint at(const char* rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("meshctl time: RFC 3339 instants with zones and fractions", "[meshctl]") {
  CHECK(format_time(at("2026-11-21T20:15:00Z")) == "2026-11-21T20:15:00.000Z");
  CHECK(format_time(at("2026-11-21T20:15:03.123Z")) == "2026-11-21T20:15:03.123Z");
  CHECK(format_time(at("2026-11-21T20:15:03.1239Z")) == "2026-11-21T20:15:03.123Z");
  CHECK(format_time(at("2026-11-21t20:15:03.5z")) == "2026-11-21T20:15:03.500Z");
  CHECK(format_time(at("2026-11-21T21:15:00+01:00")) == "2026-11-21T20:15:00.000Z");
  CHECK(format_time(at("2026-11-21T15:15:00-05:00")) == "2026-11-21T20:15:00.000Z");
  CHECK(format_time(at("2026-11-21 20:15:00Z")) == "2026-11-21T20:15:00.000Z");
  CHECK(format_time(at("2026-11-21")) == "2026-11-21T00:00:00.000Z");
  CHECK(format_time(at("1970-01-01T00:00:00Z")) == "1970-01-01T00:00:00.000Z");
  CHECK(at("1970-01-01T00:00:01.5Z").time_since_epoch().count() == 1500);
  CHECK(format_epoch_ms(1'795'896'903'123LL) == "2026-11-28T20:15:03.123Z");
}

TEST_CASE("meshctl time: durations are that long before now", "[meshctl]") {
  const TimePoint now = at("2026-11-21T20:15:00Z");
  std::string error;
  auto check = [&](const char* text, const char* expected) {
    INFO(text);
    auto t = parse_time(text, now, error);
    REQUIRE(t);
    CHECK(format_time(*t) == expected);
  };
  check("30s", "2026-11-21T20:14:30.000Z");
  check("10m", "2026-11-21T20:05:00.000Z");
  check("2h", "2026-11-21T18:15:00.000Z");
  check("1d", "2026-11-20T20:15:00.000Z");
  check("1w", "2026-11-14T20:15:00.000Z");
  check("1h30m", "2026-11-21T18:45:00.000Z");
  check("250ms", "2026-11-21T20:14:59.750Z");
  check("now", "2026-11-21T20:15:00.000Z");
  check("2026-11-21T20:00:00Z", "2026-11-21T20:00:00.000Z");
  CHECK(parse_duration("90s") == milliseconds(90'000));
}

TEST_CASE("meshctl time: anything else is refused with a message that says what is accepted", "[meshctl]") {
  const TimePoint now = at("2026-11-21T20:15:00Z");
  for (const char* bad :
       {"x", "", "10", "10 m", "5y", "m5", "-5m", "2026-13-01T00:00:00Z", "2026-02-30", "2026-11-21T24:00:00Z",
        "2026-11-21T20:15:00", "2026-11-21T20:15:00+1", "2026-11-21T20:15Zjunk", "yesterday"}) {
    INFO(bad);
    std::string error;
    CHECK_FALSE(parse_time(bad, now, error));
    CHECK(error.find("RFC 3339") != std::string::npos);
  }
  std::string error;
  parse_time("2026-11-21T20:15:00", now, error);
  CHECK(error.find("zone") != std::string::npos);
}

TEST_CASE("meshctl time: ages are short and readable", "[meshctl]") {
  CHECK(format_age(milliseconds(850)) == "850ms");
  CHECK(format_age(milliseconds(4'200)) == "4.2s");
  CHECK(format_age(seconds(192)) == "3m12s");
  CHECK(format_age(minutes(125)) == "2h05m");
  CHECK(format_age(hours(76)) == "3d04h");
  CHECK(format_age(milliseconds(-5)) == "0ms");
}
