#pragma once
// A timeout for the one I/O operation a connection has pending at a time, without what
// beast::tcp_stream pays on every read and write (a timer wait started and cancelled per
// operation, and the cancelled wait's handler run). Arming is a store; the connection's one timer
// is moved only when a deadline comes earlier than the time it is set to wake, and when it wakes
// early (the deadline moved later since) it sleeps again until the deadline. An expired deadline
// cancels the socket's operations, which then complete with operation_aborted; `checked` turns
// that into beast::error::timeout, as tcp_stream reports it. Include only where Asio is used.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>

#include "shopmesh/core/clock.hpp"

namespace shopmesh::core {

class IoDeadline {
 public:
  using clock = std::chrono::steady_clock;

  /// Watches `socket`, which must outlive this object; the timer runs on the socket's executor.
  /// `shared`: the socket is used from more than one thread in turn (a pooled upstream connection
  /// with several I/O threads), so arming and the timer's handler take a lock. A socket whose
  /// executor is a strand, or an io_context one thread runs, needs none.
  explicit IoDeadline(boost::asio::ip::tcp::socket& socket, bool shared = true);
  ~IoDeadline();
  IoDeadline(const IoDeadline&) = delete;
  IoDeadline& operator=(const IoDeadline&) = delete;

  /// The next operations on the socket must complete by `at` (or within `after`, counted from the
  /// last clock tick: a timeout in seconds need not pay for a precise clock read).
  void expires_at(clock::time_point at);
  void expires_after(clock::duration after) { expires_at(coarse_steady_now() + after); }
  /// No deadline until the next expires_* (and none expired): time spent between operations is not
  /// bounded.
  void disarm();
  /// `ec`, or beast::error::timeout once the deadline has expired (the operation cancelled by it,
  /// or one that completed as it passed, whose completion the cancellation could no longer reach).
  boost::system::error_code checked(const boost::system::error_code& ec) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace shopmesh::core
