#include "shopmesh/gateway/response_cache.hpp"

namespace shopmesh::gateway {

std::shared_ptr<const CachedResponse> ResponseCache::get(std::string_view key, Clock::time_point now) {
  if (!enabled()) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (now - it->second->response->stored_at >= limits_.ttl) {
    evict_locked(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->response;
}

bool ResponseCache::put(std::string key, CachedResponse response, std::uint64_t generation, Clock::time_point now) {
  if (!enabled() || response.status != 200) return false;
  std::size_t size = key.size() + response.body.size() + sizeof(Entry) + sizeof(CachedResponse);
  for (const auto& [k, v] : response.headers) size += k.size() + v.size();
  if (size > limits_.max_entry_bytes || size > limits_.max_bytes) return false;
  response.stored_at = now;
  auto shared = std::make_shared<const CachedResponse>(std::move(response));
  std::lock_guard lock(mutex_);
  // Checked under the lock: invalidate_all() bumps the generation under the same lock.
  if (generation_.load(std::memory_order_relaxed) != generation) return false;
  if (auto it = index_.find(key); it != index_.end()) evict_locked(it->second);
  lru_.push_front(Entry{std::move(key), std::move(shared), size});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += size;
  while (!lru_.empty() && (lru_.size() > limits_.max_entries || bytes_ > limits_.max_bytes))
    evict_locked(std::prev(lru_.end()));
  return true;
}

void ResponseCache::invalidate_all() {
  std::lock_guard lock(mutex_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

void ResponseCache::evict_locked(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(std::string_view(it->key));
  lru_.erase(it);
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::size_t ResponseCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace shopmesh::gateway
