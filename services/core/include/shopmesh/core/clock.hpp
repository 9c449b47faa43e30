#pragma once
// Wall-clock time as the mesh writes it in events and answers, and the cheap clocks for deadlines.
#include <time.h>

#include <chrono>
#include <string>
#include <string_view>

namespace shopmesh::core {

/// Current UTC time as RFC 3339 with microseconds: 2026-11-21T20:15:03.123456Z.
std::string now_rfc3339();

/// The current second as an HTTP date (RFC 9110 5.6.7, IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT),
/// for the Date field of an answer. Written once a second per thread; the view is valid until the
/// thread's next call.
std::string_view http_date();

namespace detail {
inline std::chrono::nanoseconds read_clock(clockid_t id) noexcept {
  timespec ts{};
  clock_gettime(id, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}
}  // namespace detail

/// steady_clock's time (CLOCK_MONOTONIC) as of the kernel's last tick: behind steady_clock::now()
/// by at most a tick (4 ms at HZ=250), never ahead, for a fifth of the cost of a precise read. For
/// deadlines and windows measured in seconds (a request's timeouts, an ejection), not for durations.
inline std::chrono::steady_clock::time_point coarse_steady_now() noexcept {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(detail::read_clock(CLOCK_MONOTONIC_COARSE)));
}

/// system_clock's time (CLOCK_REALTIME) as of the last tick, likewise: for checks in whole seconds
/// (a token's or a mesh credential's expiry), not for timestamps written anywhere.
inline std::chrono::system_clock::time_point coarse_system_now() noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(detail::read_clock(CLOCK_REALTIME_COARSE)));
}

}  // namespace shopmesh::core
