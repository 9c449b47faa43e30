#pragma once
// TIME arguments and timestamps: RFC 3339 instants or durations ago, and the millisecond UTC
// form every meshctl output uses (2026-11-21T20:15:03.123Z).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::meshctl {

/// An instant with millisecond precision (Kafka timestamps are epoch milliseconds).
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// The current time, truncated to milliseconds.
TimePoint now_ms();

/// A duration like `30s`, `10m`, `2h`, `1d`, `1w`, `250ms` or a sum `1h30m`; nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// A TIME argument: RFC 3339 (`2026-11-21T20:15:00Z`, `2026-11-21T21:15:00.5+01:00`, a bare date
/// `2026-11-21` = midnight UTC), a duration that long before `now`, or `now`. On failure returns
/// nullopt and sets `error` to a message that says what is accepted.
std::optional<TimePoint> parse_time(std::string_view text, TimePoint now, std::string& error);

/// An RFC 3339 instant only (no durations), e.g. an envelope's occurredAt.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// RFC 3339 UTC with milliseconds: 2026-11-21T20:15:03.123Z.
std::string format_time(TimePoint t);
/// Same, from Kafka's epoch milliseconds.
std::string format_epoch_ms(long long epoch_ms);

/// A short human age: `850ms`, `4.2s`, `3m12s`, `2h05m`, `3d04h`.
std::string format_age(std::chrono::milliseconds age);

}  // namespace shopmesh::meshctl
