#include "shopmesh/events/consumer_lag.hpp"

#include <algorithm>

namespace shopmesh::events {

std::int64_t partition_lag(std::int64_t high_watermark, std::int64_t next_offset) {
  if (high_watermark < 0 || next_offset < 0) return 0;
  return std::max<std::int64_t>(0, high_watermark - next_offset);
}

double lag_seconds(std::int64_t lag_messages, const LagClock& clock, std::int64_t now_ms) {
  if (lag_messages <= 0) return 0;
  std::optional<std::int64_t> since = clock.oldest_pending_ms;
  if (!since) {
    since = clock.last_processed_ms;
    if (clock.lag_seen_since_ms) since = std::max(since.value_or(*clock.lag_seen_since_ms), *clock.lag_seen_since_ms);
  }
  if (!since) return 0;
  return static_cast<double>(std::max<std::int64_t>(0, now_ms - *since)) / 1000.0;
}

}  // namespace shopmesh::events
