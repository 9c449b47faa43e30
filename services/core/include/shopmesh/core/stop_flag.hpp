#pragma once
// A background loop's stop request, which its pauses wait on: a loop that checks for work every
// second sleeps for that second (one wake-up) and still ends at once when asked to stop. (Sleeping in
// 50 ms slices to notice a stop woke each such loop 20 times a second, idle or not.)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace shopmesh::core {

class StopFlag {
 public:
  /// Asks the loop to stop and ends any wait_for in progress. Thread-safe; later calls do nothing.
  void request() {
    {
      std::lock_guard lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    changed_.notify_all();
  }
  bool requested() const { return stop_.load(std::memory_order_acquire); }
  explicit operator bool() const { return requested(); }

  /// Pauses for `d`, or less when a stop is requested; true when it was.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, d, [this] { return stop_.load(std::memory_order_relaxed); });
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace shopmesh::core
