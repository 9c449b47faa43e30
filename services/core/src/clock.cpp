#include "shopmesh/core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace shopmesh::core {

std::string now_rfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto us = duration_cast<microseconds>(now.time_since_epoch()).count() % 1'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us));
  return buf;
}

std::string_view http_date() {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct Cached {
    long long second = -1;
    char text[32] = {};
    std::size_t size = 0;
  };
  thread_local Cached cached;
  // The last tick's second: a Date is the time the answer was made, to the second at best.
  const std::time_t now = std::chrono::system_clock::to_time_t(coarse_system_now());
  if (now != cached.second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int n = std::snprintf(cached.text, sizeof cached.text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached.size = n > 0 ? static_cast<std::size_t>(n) : 0;
    cached.second = now;
  }
  return {cached.text, cached.size};
}

}  // namespace shopmesh::core
