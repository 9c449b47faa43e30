#pragma once
// Small text helpers shared by the commands' table output.
#include <cstdio>
#include <string>
#include <string_view>

namespace shopmesh::meshctl {

/// printf-style formatting into a std::string (table rows; up to 1 KiB).
template <class... Args>
std::string fmt(const char* format, Args... args) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

/// `text` on one line: whitespace runs (newlines included) become one space, trimmed, and cut at
/// `max` bytes with an ellipsis (error messages from PostgreSQL span lines).
std::string one_line(std::string_view text, std::size_t max);

/// A byte count for people: "512 B", "1.5 KiB", "12.0 MiB", "4.0 GiB" (negative counts as 0).
std::string format_bytes(long long bytes);

}  // namespace shopmesh::meshctl
