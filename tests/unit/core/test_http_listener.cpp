// core::Listeners on loopback, with a minimal server (answers "ok" to each request head it reads):
// requests on a kept-alive connection are served one at a time; a server's `close` ends the
// connection; the per-address cap refuses the connection over it; the drain closes idle
// connections at once, lets a busy one finish, and ends run().
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "shopmesh/core/http_listener.hpp"
#include "shopmesh/core/log.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using shopmesh::core::AfterAnswer;
using shopmesh::core::Connection;
using shopmesh::core::ListenerOptions;
using shopmesh::core::Listeners;

namespace {

// A server on its own thread. Each request is a head ending in a blank line; a head whose target is
// /close is answered and the connection closed, /slow is answered once `release` is set.
struct Server {
  explicit Server(ListenerOptions options) : listeners(ioc, log, std::move(options)) {
    listeners.add("127.0.0.1", 0);
    listeners.start([this](Connection& conn, beast::flat_buffer& buffer) { return serve(conn, buffer); });
    thread = std::thread([this] { listeners.run(false); });
  }
  ~Server() {
    listeners.drain();
    if (thread.joinable()) thread.join();
  }

  asio::awaitable<AfterAnswer> serve(Connection& conn, beast::flat_buffer& buffer) {
    for (;;) {
      const std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (const auto end = seen.find("\r\n\r\n"); end != std::string_view::npos) {
        const std::string request(seen.substr(0, end));
        buffer.consume(end + 4);
        ++served;
        if (request.find(" /slow ") != std::string::npos) {
          asio::steady_timer wait(conn.socket.get_executor());
          while (!release) {
            wait.expires_after(5ms);
            co_await wait.async_wait(asio::use_awaitable);
          }
        }
        http::response<http::string_body> answer{http::status::ok, 11};
        answer.body() = "ok";
        answer.prepare_payload();
        if (std::get<0>(co_await shopmesh::core::write_answer(conn, answer, false, 1s))) co_return AfterAnswer::close;
        co_return request.find(" /close ") != std::string::npos ? AfterAnswer::close : AfterAnswer::keep_alive;
      }
      auto [ec, n] = co_await conn.socket.async_read_some(buffer.prepare(1024), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return AfterAnswer::close;
      buffer.commit(n);
    }
  }

  shopmesh::core::Logger log{"test", shopmesh::core::LogLevel::error};
  asio::io_context ioc;
  Listeners listeners;
  std::atomic<int> served{0};
  std::atomic<bool> release{false};
  std::thread thread;
};

struct Client {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  explicit Client(std::uint16_t port) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }
  void send(std::string_view target) {
    const std::string head = "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(socket, asio::buffer(head));
  }
  // The next answer's body, or "" when the server closed the connection first.
  std::string answer() {
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(socket, buffer, res, ec);
    return ec ? std::string() : res.body();
  }
  bool closed_by_server() {
    char byte;
    beast::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

ListenerOptions options() {
  ListenerOptions o;
  o.header_timeout = 2s;
  o.idle_timeout = 2s;
  o.shutdown_grace = 2s;
  return o;
}

}  // namespace

TEST_CASE("listener: keep-alive, then close") {
  Server server(options());
  Client client(server.listeners.port(0));
  client.send("/a");
  CHECK(client.answer() == "ok");
  client.send("/b");
  CHECK(client.answer() == "ok");
  client.send("/close");
  CHECK(client.answer() == "ok");
  CHECK(client.closed_by_server());
  CHECK(server.served == 3);
}

TEST_CASE("listener: per-address cap") {
  std::atomic<int> refused{0};
  auto o = options();
  o.max_connections_per_address = 1;
  o.on_refused = [&refused] { ++refused; };
  Server server(o);
  Client first(server.listeners.port(0));
  first.send("/a");
  REQUIRE(first.answer() == "ok");  // the first connection is held open
  Client second(server.listeners.port(0));
  CHECK(second.closed_by_server());
  CHECK(refused == 1);
  first.send("/close");
  CHECK(first.answer() == "ok");
  REQUIRE(first.closed_by_server());
  // Its share is free again once it closed.
  for (int i = 0; i < 50 && refused == 1; ++i) {
    Client third(server.listeners.port(0));
    third.send("/a");
    if (third.answer() == "ok") break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(refused == 1);
}

TEST_CASE("listener: drain lets a busy request finish") {
  Server server(options());
  Client idle(server.listeners.port(0));
  idle.send("/a");
  REQUIRE(idle.answer() == "ok");
  Client busy(server.listeners.port(0));
  busy.send("/slow");
  while (server.served < 2) std::this_thread::sleep_for(1ms);
  server.listeners.drain();
  CHECK(idle.closed_by_server());  // at once, while the busy request is still being served
  server.release = true;
  CHECK(busy.answer() == "ok");
  CHECK(busy.closed_by_server());
  server.thread.join();  // run() returned: nothing is left open
}
