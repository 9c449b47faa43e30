#include "shopmesh/gateway/revocation_feed.hpp"

namespace shopmesh::gateway {
namespace {

std::int64_t to_ms(RevocationFeed::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void RevocationFeed::assigned() {
  std::lock_guard lock(mutex_);
  ++generation_;
  position_.clear();
  has_probe_ = false;
  fresh_as_of_ms_.store(0, std::memory_order_release);
}

void RevocationFeed::unassigned() {
  assigned();
}

void RevocationFeed::progress(std::int32_t partition, std::int64_t next_offset) {
  std::lock_guard lock(mutex_);
  auto& p = position_[partition];
  if (next_offset > p) p = next_offset;
  advance_locked();
}

void RevocationFeed::probed(Clock::time_point at, const Offsets& end_offsets) {
  std::lock_guard lock(mutex_);
  // A probe still unmet is replaced by the newer one only once met: keep the older (earlier T) so
  // that a steady stream of events cannot keep the feed from ever becoming fresh.
  if (has_probe_ && probe_generation_ == generation_) {
    advance_locked();
    if (has_probe_) return;
  }
  has_probe_ = true;
  probe_generation_ = generation_;
  probe_at_ = at;
  probe_ends_ = end_offsets;
  advance_locked();
}

void RevocationFeed::advance_locked() {
  if (!has_probe_ || probe_generation_ != generation_) return;
  for (const auto& [partition, end] : probe_ends_) {
    auto it = position_.find(partition);
    const std::int64_t at = it == position_.end() ? 0 : it->second;
    if (end > 0 && at < end) return;
  }
  fresh_as_of_ms_.store(std::max(fresh_as_of_ms_.load(std::memory_order_relaxed), to_ms(probe_at_)),
                        std::memory_order_release);
  replayed_.store(true, std::memory_order_release);
  has_probe_ = false;
}

bool RevocationFeed::fresh(Clock::time_point now, std::chrono::milliseconds max_lag) const {
  if (!replayed()) return false;
  return to_ms(now) - fresh_as_of_ms_.load(std::memory_order_acquire) <= max_lag.count();
}

RevocationFeed::Clock::time_point RevocationFeed::fresh_as_of() const {
  return Clock::time_point{std::chrono::milliseconds{fresh_as_of_ms_.load(std::memory_order_acquire)}};
}

}  // namespace shopmesh::gateway
