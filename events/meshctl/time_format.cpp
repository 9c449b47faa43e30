#include "time_format.hpp"

#include <cstdio>

namespace shopmesh::meshctl {
namespace {

using namespace std::chrono;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return std::nullopt;
    v = v * 10 + (s[pos + i] - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

std::optional<TimePoint> parse_instant(std::string_view s, std::string& why) {
  std::size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  auto d = digits(s, pos, 2);
  if (!d) return std::nullopt;
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok()) {
    why = "no such date";
    return std::nullopt;
  }
  TimePoint t = time_point_cast<milliseconds>(sys_days{date});
  if (pos == s.size()) return t;  // a bare date: midnight UTC
  if (!(expect(s, pos, 'T') || expect(s, pos, 't') || expect(s, pos, ' '))) return std::nullopt;
  auto hh = digits(s, pos, 2);
  if (!hh || !expect(s, pos, ':')) return std::nullopt;
  auto mm = digits(s, pos, 2);
  if (!mm) return std::nullopt;
  int ss = 0;
  if (expect(s, pos, ':')) {
    auto sec = digits(s, pos, 2);
    if (!sec) return std::nullopt;
    ss = *sec;
  }
  if (*hh > 23 || *mm > 59 || ss > 59) {
    why = "hour, minute or second out of range";
    return std::nullopt;
  }
  t += hours{*hh} + minutes{*mm} + seconds{ss};
  if (expect(s, pos, '.') || expect(s, pos, ',')) {
    int scale = 100, ms = 0;
    std::size_t n = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
    t += milliseconds{ms};
  }
  if (pos == s.size()) {
    why = "a time of day needs a zone: add Z for UTC or an offset like +01:00";
    return std::nullopt;
  }
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) return pos == s.size() ? std::optional(t) : std::nullopt;
  const char sign = s[pos];
  if (sign != '+' && sign != '-') return std::nullopt;
  ++pos;
  auto oh = digits(s, pos, 2);
  if (!oh) return std::nullopt;
  expect(s, pos, ':');
  auto om = digits(s, pos, 2);
  if (!om || pos != s.size() || *oh > 23 || *om > 59) return std::nullopt;
  const minutes offset = hours{*oh} + minutes{*om};
  return sign == '+' ? t - offset : t + offset;  // local = UTC + offset
}

}  // namespace

TimePoint now_ms() {
  return time_point_cast<milliseconds>(system_clock::now());
}

std::optional<milliseconds> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  milliseconds total{0};
  std::size_t pos = 0;
  while (pos < s.size()) {
    long long n = 0;
    std::size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) {
      if (n > 1'000'000'000LL) return std::nullopt;  // no one means 30 million years ago
      n = n * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    std::size_t unit_start = pos;
    while (pos < s.size() && !is_digit(s[pos])) ++pos;
    const std::string_view unit = s.substr(unit_start, pos - unit_start);
    if (unit == "ms")
      total += milliseconds{n};
    else if (unit == "s")
      total += seconds{n};
    else if (unit == "m")
      total += minutes{n};
    else if (unit == "h")
      total += hours{n};
    else if (unit == "d")
      total += hours{24 * n};
    else if (unit == "w")
      total += hours{24 * 7 * n};
    else
      return std::nullopt;
  }
  return total;
}

std::optional<TimePoint> parse_time(std::string_view text, TimePoint now, std::string& error) {
  if (text == "now") return now;
  if (auto d = parse_duration(text)) return now - *d;
  std::string why;
  if (auto t = parse_instant(text, why)) return t;
  error = "'" + std::string(text) + "' is not a time" + (why.empty() ? "" : " (" + why + ")") +
          ": use RFC 3339 like 2026-11-21T20:15:00Z, or a duration ago like 30s, 10m, 2h, 1d";
  return std::nullopt;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  std::string why;
  return parse_instant(text, why);
}

std::string format_time(TimePoint t) {
  const auto days = floor<std::chrono::days>(t);
  const year_month_day ymd{sys_days{days}};
  const hh_mm_ss<milliseconds> tod{t - days};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  return buf;
}

std::string format_epoch_ms(long long epoch_ms) {
  return format_time(TimePoint{milliseconds{epoch_ms}});
}

std::string format_age(milliseconds age) {
  const long long ms = age.count() < 0 ? 0 : age.count();
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lldms", ms);
  else if (ms < 60'000)
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60'000, (ms / 1000) % 60);
  else if (ms < 86'400'000)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3'600'000, (ms / 60'000) % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", ms / 86'400'000, (ms / 3'600'000) % 24);
  return buf;
}

}  // namespace shopmesh::meshctl
