#include "shopmesh/core/http_listener.hpp"

#include <array>
#include <boost/asio.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/thread_name.hpp"

namespace shopmesh::core {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kReadChunk = 4096;

}  // namespace

struct Listeners::Impl {
  Impl(asio::io_context& i, Logger& l, ListenerOptions o)
      : ioc(i), log(l), options(std::move(o)), acceptor_strand(asio::make_strand(ioc)) {}

  asio::awaitable<void> accept_loop(tcp::acceptor& from, std::size_t listener);
  std::shared_ptr<Connection> admit(tcp::socket& socket, std::size_t listener);
  asio::awaitable<void> session(std::shared_ptr<Connection> conn);
  void forget(const Connection& conn);

  asio::io_context& ioc;
  Logger& log;
  const ListenerOptions options;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  Serve serve;
  std::atomic<bool> stopping{false};
  std::mutex mutex;  // guards the two maps
  std::map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<std::string, std::size_t> connections_of;  // open connections per address key
};

asio::awaitable<void> Listeners::Impl::accept_loop(tcp::acceptor& from, std::size_t listener) {
  while (!stopping) {
    // A connection's handlers run one at a time: on its own strand when several threads run the
    // io_context, directly on it when one does (no strand to pay for).
    const asio::any_io_executor executor = options.io_threads > 1 ? asio::any_io_executor(asio::make_strand(ioc))
                                                                  : asio::any_io_executor(ioc.get_executor());
    auto [ec, socket] = co_await from.async_accept(executor, asio::as_tuple(asio::deferred));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      log.warn("accept failed", {{"error", ec.message()}});
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(acceptor_strand, std::chrono::milliseconds(50));  // fd exhaustion: back off
        co_await pause.async_wait(asio::as_tuple(asio::deferred));
      }
      continue;
    }
    auto conn = admit(socket, listener);
    beast::error_code ignored;
    if (!conn) {  // over a cap: refuse, not degrade
      if (options.on_refused) options.on_refused();
      socket.close(ignored);
      continue;
    }
    conn->socket.set_option(tcp::no_delay(true), ignored);
    auto ex = conn->socket.get_executor();
    asio::co_spawn(ex, session(std::move(conn)), asio::detached);
  }
}

std::shared_ptr<Connection> Listeners::Impl::admit(tcp::socket& socket, std::size_t listener) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  std::string remote = ec ? std::string() : peer.address().to_string();
  std::string key = options.address_key ? options.address_key(remote) : remote;
  std::lock_guard lock(mutex);
  if (options.max_connections != 0 && connections.size() >= options.max_connections) return nullptr;
  // One address (a client holding idle connections, a flood) gets only its share of the cap, so a
  // request from anyone else is still served at once.
  auto& held = connections_of[key];
  if (options.max_connections_per_address != 0 && held >= options.max_connections_per_address) {
    if (held == 0) connections_of.erase(key);
    return nullptr;
  }
  ++held;
  auto conn = std::make_shared<Connection>(std::move(socket), std::move(remote), std::move(key), listener);
  connections.emplace(conn.get(), conn);
  return conn;
}

void Listeners::Impl::forget(const Connection& conn) {
  std::lock_guard lock(mutex);
  connections.erase(const_cast<Connection*>(&conn));
  if (auto it = connections_of.find(conn.key); it != connections_of.end() && --it->second == 0)
    connections_of.erase(it);
}

asio::awaitable<void> Listeners::Impl::session(std::shared_ptr<Connection> conn) {
  if (options.on_open) options.on_open();
  auto& socket = conn->socket;
  beast::flat_buffer buffer;
  bool first = true;
  while (!stopping) {
    // Waiting for the next request: a new connection gets the header timeout for its first byte,
    // a kept-alive one the idle timeout.
    if (buffer.size() == 0) {
      conn->deadline.expires_after(first ? options.header_timeout : options.idle_timeout);
      auto [ec, n] = co_await socket.async_read_some(buffer.prepare(kReadChunk), asio::as_tuple(asio::deferred));
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    conn->busy = true;
    const AfterAnswer next = co_await serve(*conn, buffer);
    conn->busy = false;
    if (next == AfterAnswer::linger) {
      // Half-close and read what the client still sends (bounded), so it sees the answer instead of
      // a reset.
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      conn->deadline.expires_after(kLingerTime);
      std::size_t drained = 0;
      std::array<char, 16 * 1024> sink;
      while (drained < kLingerBytes) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::deferred));
        if (ec) break;
        drained += n;
      }
      break;
    }
    if (next == AfterAnswer::close) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  forget(*conn);
  if (options.on_close) options.on_close();
}

Listeners::Listeners(asio::io_context& ioc, Logger& log, ListenerOptions options)
    : impl_(std::make_unique<Impl>(ioc, log, std::move(options))) {}

Listeners::~Listeners() = default;

std::size_t Listeners::add(const std::string& host, std::uint16_t port) {
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->acceptor_strand);
  tcp::endpoint ep(asio::ip::make_address(host), port);
  acceptor->open(ep.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(ep);
  acceptor->listen(asio::socket_base::max_listen_connections);
  impl_->acceptors.push_back(std::move(acceptor));
  return impl_->acceptors.size() - 1;
}

std::uint16_t Listeners::port(std::size_t listener) const {
  return impl_->acceptors.at(listener)->local_endpoint().port();
}

void Listeners::start(Serve serve) {
  impl_->serve = std::move(serve);
  for (std::size_t i = 0; i < impl_->acceptors.size(); ++i)
    asio::co_spawn(impl_->acceptor_strand, impl_->accept_loop(*impl_->acceptors[i], i), asio::detached);
}

void Listeners::run(bool handle_signals) {
  auto& ioc = impl_->ioc;
  asio::signal_set signals(ioc);
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) drain();
    });
  }
  std::vector<std::thread> extra;
  for (int i = 1; i < impl_->options.io_threads; ++i) extra.emplace_back([&ioc] {
    name_this_thread("http-io");
    ioc.run();
  });
  ioc.run();
  for (auto& t : extra) t.join();
}

void Listeners::drain() {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;
  s.log.info("shutting down: draining in-flight requests");
  asio::post(s.acceptor_strand, [&s] {
    beast::error_code ignored;
    for (auto& a : s.acceptors) a->close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(s.mutex);
    for (auto& [_, weak] : s.connections)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live)
    asio::post(c->socket.get_executor(), [c] {
      beast::error_code ignored;
      if (!c->busy) c->socket.cancel(ignored);  // idle keep-alive: stop waiting for a request
    });
  const auto deadline = std::chrono::steady_clock::now() + s.options.shutdown_grace;
  asio::co_spawn(
      s.ioc,
      [&s, deadline]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto open = [&s] {
          std::lock_guard lock(s.mutex);
          return s.connections.size();
        };
        while (open() > 0 && std::chrono::steady_clock::now() < deadline) {
          timer.expires_after(std::chrono::milliseconds(20));
          co_await timer.async_wait(asio::as_tuple(asio::deferred));
        }
        if (open() > 0) s.log.warn("grace period over: closing remaining connections");
        s.ioc.stop();
      },
      asio::detached);
}

bool Listeners::draining() const { return impl_->stopping; }

int io_concurrency_hint(int io_threads) {
  return io_threads == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO : io_threads;
}

}  // namespace shopmesh::core
