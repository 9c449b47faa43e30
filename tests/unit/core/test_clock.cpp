// The Date an answer carries: IMF-fixdate (RFC 9110 5.6.7) of the current second.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <regex>
#include <string>

#include "shopmesh/core/clock.hpp"

using namespace shopmesh::core;

TEST_CASE("http_date: the current second as an IMF-fixdate", "[core][clock]") {
  const auto before = std::chrono::system_clock::to_time_t(coarse_system_now());
  const std::string date(http_date());
  const auto after = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  REQUIRE(std::regex_match(date, std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul)"
                                            R"(|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")));
  // The same text strftime writes for one of the seconds the call ran in.
  bool matched = false;
  for (auto t = before; t <= after && !matched; ++t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char expected[40];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // the C locale's names
    matched = date == expected;
  }
  CHECK(matched);
  CHECK(date.size() == 29);
}
