#pragma once
// How far a consumer is behind, as plain arithmetic over what the consumer runner knows (the
// partitions' cached high watermarks, the offsets it will process next, and Kafka timestamps), so
// that `consumer_lag_messages` and `consumer_lag_seconds` are unit-tested without a broker.
#include <chrono>
#include <cstdint>
#include <optional>

namespace shopmesh::events {

/// Messages of one partition not yet processed: high watermark − next offset to process; 0 when
/// either is unknown (negative: librdkafka's "invalid" offsets) or the offset is past the watermark.
std::int64_t partition_lag(std::int64_t high_watermark, std::int64_t next_offset);

/// What is known about a topic's unprocessed messages when the lag is sampled (unix ms).
struct LagClock {
  std::optional<std::int64_t> oldest_pending_ms;   // Kafka timestamp of the oldest fetched, unprocessed message
  std::optional<std::int64_t> last_processed_ms;   // Kafka timestamp of the last processed message
  std::optional<std::int64_t> lag_seen_since_ms;   // when the sampler first saw this lag above 0
};

/// `consumer_lag_seconds`: 0 when nothing is behind; else now − the oldest pending message's
/// timestamp; when no message is being processed, now − the later of the last processed message's
/// timestamp and the moment the lag was first seen (a message that arrives after a long quiet spell
/// is not hours old); 0 when none of them is known.
double lag_seconds(std::int64_t lag_messages, const LagClock& clock, std::int64_t now_ms);

}  // namespace shopmesh::events
