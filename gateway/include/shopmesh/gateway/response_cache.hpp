#pragma once
// The response cache for public catalog GETs: a bounded LRU (entries and bytes) with a TTL,
// keyed by path + query. Catalog events clear it; a generation number makes sure a response that
// was fetched before an invalidation is not stored after it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shopmesh::gateway {

struct CachedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // end-to-end headers worth replaying
  std::string body;
  std::chrono::steady_clock::time_point stored_at;
};

class ResponseCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    std::size_t max_entries = 10'000;
    std::size_t max_bytes = 64 * 1024 * 1024;
    std::size_t max_entry_bytes = 1024 * 1024;
    std::chrono::milliseconds ttl{30'000};
  };

  explicit ResponseCache(Limits limits) : limits_(limits) {}

  bool enabled() const { return limits_.max_entries > 0 && limits_.ttl.count() > 0; }
  /// A fresh entry for `key`, or null.
  std::shared_ptr<const CachedResponse> get(std::string_view key, Clock::time_point now);
  /// The generation to pass to put() later: read it before asking the upstream.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  /// Stores a 200 response unless the cache was invalidated since `generation`; false if not stored.
  bool put(std::string key, CachedResponse response, std::uint64_t generation, Clock::time_point now);
  /// Drops everything (catalog events, local writes to cached routes).
  void invalidate_all();

  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const CachedResponse> response;
    std::size_t bytes;
  };
  void evict_locked(std::list<Entry>::iterator it);

  Limits limits_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;                                                    // front: most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into Entry::key
  std::size_t bytes_ = 0;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace shopmesh::gateway
