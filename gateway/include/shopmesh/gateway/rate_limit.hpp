#pragma once
// Token-bucket rate limiting per client key (IP or user) and class, with headers in the shape of
// the IETF draft "RateLimit header fields for HTTP" (RateLimit-Limit/-Remaining/-Reset).
// Buckets live in sharded maps; a bucket that has refilled completely is the same as no bucket,
// so the periodic sweep drops it and memory stays bounded by the number of recently active keys.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shopmesh::gateway {

/// A bucket's refill rate and capacity; `enabled == false` means "no limit".
struct RateSpec {
  double per_second = 0;
  double burst = 0;
  bool enabled = false;

  /// Parses "off" or "<n>/s|m|h" optionally followed by "burst <b>" (default burst: n, at least 1),
  /// e.g. "100/s burst 200", "5/m burst 5", "off".
  static std::optional<RateSpec> parse(std::string_view text);
  std::string to_string() const;
};

/// The outcome of one check, with what the response headers need.
struct RateDecision {
  bool enabled = false;  // false: no limit applies, no headers
  bool allowed = true;
  std::uint32_t limit = 0;          // bucket capacity (RateLimit-Limit)
  std::uint32_t remaining = 0;      // whole tokens left after this request (RateLimit-Remaining)
  std::uint32_t reset_s = 0;        // seconds until the bucket is full again (RateLimit-Reset)
  std::uint32_t retry_after_s = 0;  // when !allowed: seconds until one token is available
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// `classes`: name -> spec. `max_keys`: a cap on tracked keys per class (beyond it new keys
  /// are let through untracked until a sweep frees room: fail open rather than grow).
  RateLimiter(const std::vector<std::pair<std::string, RateSpec>>& classes, std::size_t max_keys = 200'000);
  ~RateLimiter();

  /// The id of a class for check(), or -1 when unknown.
  int class_id(std::string_view name) const;
  const std::string& class_name(int id) const { return classes_[static_cast<std::size_t>(id)].name; }
  bool enabled(int id) const { return id >= 0 && classes_[static_cast<std::size_t>(id)].spec.enabled; }

  /// Takes one token from the bucket of (class, key).
  RateDecision check(int class_id, std::string_view key, Clock::time_point now);

  /// Drops buckets that are full again; returns how many remain.
  std::size_t sweep(Clock::time_point now);
  std::size_t size() const;

 private:
  struct Shard;
  struct Class {
    std::string name;
    RateSpec spec;
    std::vector<std::unique_ptr<Shard>> shards;
  };
  std::vector<Class> classes_;
  std::size_t max_keys_per_shard_;
};

/// The key a client address is limited under: the address itself, or its /64 for IPv6 (one
/// host usually holds a whole /64, so per-address buckets would be trivial to evade).
std::string client_rate_key(std::string_view address);

}  // namespace shopmesh::gateway
