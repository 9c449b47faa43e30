#pragma once
// How far the gateway can trust its revocation set. The Kafka consumer reports what it has read of
// the identity topic (next offset per partition) and, a few times a second, the topic's end offsets
// as the broker gave them at a moment T (a probe). Once everything up to a probe's end offsets has
// been read, every revocation published before T is applied: the feed is "fresh as of T".
//
//  - replayed(): a probe has been caught up with since the process started, so the replay of the
//    revocation window (as far back as the longest access-token lifetime) is complete. Until then the
//    gateway is not ready. It stays true: a later reassignment (a rebalance, the broker away for
//    longer than the session timeout) replays the window again while the feed is merely stale.
//  - fresh(now, max_lag): replayed, and fresh as of no more than max_lag ago. When the broker is
//    down or the consumer is behind, probes fail or stay unmet and the feed goes stale within
//    max_lag plus one probe interval; the gateway then asks auth about each session instead.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

namespace shopmesh::gateway {

class RevocationFeed {
 public:
  using Clock = std::chrono::system_clock;
  using Offsets = std::map<std::int32_t, std::int64_t>;  // partition -> offset

  /// A new assignment of the identity topic: stale until a probe taken after it is met.
  void assigned();
  /// Partitions revoked from this consumer: nothing can be vouched for.
  void unassigned();
  /// The consumer's next offset in `partition` (a message's offset + 1, or the end it reached).
  void progress(std::int32_t partition, std::int64_t next_offset);
  /// The end offsets of every assigned identity partition, as the broker answered a query sent at `at`.
  void probed(Clock::time_point at, const Offsets& end_offsets);

  bool replayed() const { return replayed_.load(std::memory_order_acquire); }
  /// Whether revocations published up to `max_lag` before `now` are all applied.
  bool fresh(Clock::time_point now, std::chrono::milliseconds max_lag) const;
  /// The moment the feed is fresh as of (epoch when never).
  Clock::time_point fresh_as_of() const;

 private:
  void advance_locked();

  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;  // bumped by assigned()/unassigned(): older probes no longer count
  Offsets position_;
  bool has_probe_ = false;
  std::uint64_t probe_generation_ = 0;
  Clock::time_point probe_at_{};
  Offsets probe_ends_;
  std::atomic<std::int64_t> fresh_as_of_ms_{0};
  std::atomic<bool> replayed_{false};
};

}  // namespace shopmesh::gateway
