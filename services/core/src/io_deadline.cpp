#include "shopmesh/core/io_deadline.hpp"

#include <boost/beast/core/error.hpp>
#include <mutex>

namespace shopmesh::core {
namespace asio = boost::asio;

// Shared with the timer's handler, which may run after the owner is gone (socket is then null).
// The mutex (when `shared`) makes arming from a coroutine safe against the handler on another I/O
// thread: a pooled upstream connection is used from whichever connection's strand took it.
struct IoDeadline::State {
  State(asio::ip::tcp::socket& s, bool shared) : shared(shared), socket(&s), timer(s.get_executor()) {}

  // Holds the mutex where the socket is shared between threads; else nothing to hold.
  class Lock {
   public:
    explicit Lock(State& s) : mutex_(s.shared ? &s.mutex : nullptr) {
      if (mutex_ != nullptr) mutex_->lock();
    }
    ~Lock() {
      if (mutex_ != nullptr) mutex_->unlock();
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    std::mutex* mutex_;
  };

  const bool shared;
  std::mutex mutex;
  asio::ip::tcp::socket* socket;
  asio::steady_timer timer;
  clock::time_point deadline{};
  clock::time_point wake_at = clock::time_point::max();  // max: no wait pending
  std::uint64_t generation = 0;                            // of the pending wait
  bool armed = false;
  bool expired = false;

  // With the lock held.
  void wake(const std::shared_ptr<State>& self, clock::time_point at) {
    wake_at = at;
    const auto gen = ++generation;
    timer.expires_at(at);  // cancels a pending wait, whose handler then sees a stale generation
    timer.async_wait([self, gen](const boost::system::error_code& ec) { self->on_timer(self, gen, ec); });
  }

  void on_timer(const std::shared_ptr<State>& self, std::uint64_t gen, const boost::system::error_code& ec) {
    Lock lock(*this);
    if (ec == asio::error::operation_aborted || gen != generation || socket == nullptr) return;
    wake_at = clock::time_point::max();
    if (!armed) return;  // the next expires_* sets the timer again
    if (clock::now() < deadline) {
      wake(self, deadline);
      return;
    }
    expired = true;
    armed = false;
    boost::system::error_code ignored;
    socket->cancel(ignored);
  }
};

IoDeadline::IoDeadline(asio::ip::tcp::socket& socket, bool shared)
    : state_(std::make_shared<State>(socket, shared)) {}

IoDeadline::~IoDeadline() {
  State::Lock lock(*state_);
  state_->socket = nullptr;
  state_->timer.cancel();
}

void IoDeadline::expires_at(clock::time_point at) {
  State::Lock lock(*state_);
  state_->deadline = at;
  state_->armed = true;
  state_->expired = false;
  if (at < state_->wake_at) state_->wake(state_, at);
}

void IoDeadline::disarm() {
  State::Lock lock(*state_);
  state_->armed = false;
  state_->expired = false;
}

boost::system::error_code IoDeadline::checked(const boost::system::error_code& ec) const {
  // Whatever the operation's own outcome: it may have completed just as the deadline passed, its
  // completion already queued when the timer's cancel came and found nothing pending to cancel. A
  // client trickling a header byte at a time could then read on past its header timeout.
  State::Lock lock(*state_);
  return state_->expired ? boost::system::error_code(boost::beast::error::timeout) : ec;
}

}  // namespace shopmesh::core
