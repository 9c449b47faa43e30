#pragma once
// What both HTTP servers (the services' HttpServer and the gateway's) share: listeners with their
// connection caps, the session skeleton and the drain at shutdown. A session waits for a request's
// first bytes (the header timeout on a new connection, the idle timeout on a kept-alive one), hands
// the connection to the server, which reads the rest of the request and writes the answer, and then
// keeps the connection, closes it, or half-closes it and drains what the client still sends (after a
// refusal, so the client reads the answer instead of a reset). The drain stops accepting, ends idle
// sessions at once and lets busy ones finish within the grace period.
// Include only in a server's translation unit: it brings in Asio and Beast's message types.
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/io_deadline.hpp"

namespace shopmesh::core {

class Logger;

/// One accepted connection, as a server sees it while it serves a request.
struct Connection {
  Connection(boost::asio::ip::tcp::socket s, std::string remote, std::string key, std::size_t listener)
      : socket(std::move(s)), remote(std::move(remote)), key(std::move(key)), listener(listener) {}
  boost::asio::ip::tcp::socket socket;
  std::string remote;    // the peer's address, empty when unknown
  std::string key;       // what the per-address cap counts: ListenerOptions::address_key(remote)
  std::size_t listener;  // the listener that accepted it, numbered in the order Listeners::add was called
  IoDeadline deadline{socket, false};  // on the connection's strand, or the one I/O thread
  std::atomic<bool> busy{false};  // a request is being served: the drain lets it finish
  std::string head;               // the answer's head being written (write_answer), its capacity reused
};

/// The concurrency hint for an io_context `io_threads` threads run. With one, every socket is used
/// from that thread alone, so Asio's per-socket locking is left out; handlers may still be posted
/// from other threads (the scheduler still locks).
int io_concurrency_hint(int io_threads);

/// What the session does once the server has answered a request.
enum class AfterAnswer { keep_alive, close, linger };

struct ListenerOptions {
  int io_threads = 1;
  std::size_t max_connections = 0;              // over it a new connection is closed at once; 0: no cap
  std::size_t max_connections_per_address = 0;  // one address's share of the cap; 0: no cap
  std::function<std::string(const std::string&)> address_key;  // what an address counts as; default itself
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::function<void()> on_open, on_close, on_refused;  // optional: a connection opened, closed, refused
};

class Listeners {
 public:
  /// Serves one request whose first bytes are in `buffer`: reads the rest, writes the answer.
  using Serve = std::function<boost::asio::awaitable<AfterAnswer>(Connection&, boost::beast::flat_buffer&)>;

  /// `ioc` outlives this object; run() runs it.
  Listeners(boost::asio::io_context& ioc, Logger& log, ListenerOptions options);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  /// Binds and listens on host:port now (port 0 picks a free one); throws on failure. Returns the
  /// listener's number, which its connections carry.
  std::size_t add(const std::string& host, std::uint16_t port);
  std::uint16_t port(std::size_t listener) const;
  /// Starts accepting on every listener; each connection is served by `serve`, one request at a time.
  void start(Serve serve);
  /// Runs the io_context on io_threads threads (the extra ones named http-io) until the drain ends;
  /// SIGINT and SIGTERM start the drain when `handle_signals`.
  void run(bool handle_signals);
  /// Stops accepting, ends idle sessions, lets busy ones finish within the grace period, then stops
  /// the io_context. Thread-safe; later calls do nothing.
  void drain();
  bool draining() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The write of an answer already in bytes, its head then its body, within `timeout`: co_await it
/// for (error_code, bytes written). An operation, not a coroutine: awaiting it costs no frame.
inline auto write_answer(Connection& conn, std::string_view head, std::string_view body,
                         std::chrono::milliseconds timeout) {
  conn.deadline.expires_after(timeout);
  const std::array<boost::asio::const_buffer, 2> bytes{boost::asio::buffer(head), boost::asio::buffer(body)};
  return boost::asio::async_write(conn.socket, bytes, boost::asio::as_tuple(boost::asio::deferred));
}
/// The write of `answer` (its head framed by Content-Length, written into conn.head; its body unless
/// `head_only`) within `timeout`, likewise.
inline auto write_answer(Connection& conn,
                         const boost::beast::http::response<boost::beast::http::string_body>& answer, bool head_only,
                         std::chrono::milliseconds timeout) {
  conn.deadline.expires_after(timeout);
  return boost::asio::async_write(conn.socket, wire::buffers(answer, conn.head, head_only),
                                  boost::asio::as_tuple(boost::asio::deferred));
}

}  // namespace shopmesh::core
