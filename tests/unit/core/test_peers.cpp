// core::Peers on loopback: a call goes to the preferred instance; when that one refuses the
// connection it goes to the next, which is then preferred until the refusing one's pass-over ends;
// a connection that was made and then dropped without an answer is never sent to another instance.
#include <atomic>
#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "shopmesh/core/http_client.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using shopmesh::core::HttpCall;
using shopmesh::core::Peers;

namespace {

// A blocking server on its own thread: each connection's request head is answered with `answer`
// (its own name) and the connection closed, or closed unanswered when `drop` is set.
struct Server {
  explicit Server(std::string answer, bool drop = false) : name(std::move(answer)), drop(drop) {
    acceptor.open(tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    thread = std::thread([this] { serve(); });
  }
  ~Server() {
    stop = true;
    boost::system::error_code ignored;
    tcp::socket wake(ioc);
    wake.connect(acceptor.local_endpoint(), ignored);  // unblocks accept()
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()); }

  void serve() {
    while (!stop) {
      tcp::socket socket(ioc);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (ec || stop) return;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && asio::read(socket, asio::buffer(&c, 1), ec) == 1)
        head.push_back(c);
      ++requests;
      if (drop) continue;  // closed without an answer
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(name.size()) +
                                 "\r\nConnection: close\r\n\r\n" + name;
      asio::write(socket, asio::buffer(answer), ec);
    }
  }

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::string name;
  bool drop;
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0};
  std::thread thread;
};

// A loopback port nothing listens on.
std::string refused_url() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("Peers: the preferred instance answers") {
  Server first("first"), second("second");
  const Peers peers(first.url() + "," + second.url() + "/");
  const auto r = peers.call(HttpCall{}, "/x");
  CHECK(r.status == 200);
  CHECK(r.body == "first");
  CHECK(second.requests == 0);
  REQUIRE(peers.urls().size() == 2);
  CHECK(peers.urls()[1] == second.url());  // the trailing slash is dropped
}

TEST_CASE("Peers: a refused connection goes to the next instance, which is preferred meanwhile") {
  Server other("other");
  const Peers peers(refused_url() + ", " + other.url());
  HttpCall post;
  post.method = "POST";
  post.body = "{}";
  const auto r = peers.call(post, "/api/orders");
  CHECK(r.status == 200);
  CHECK(r.body == "other");
  // The refusing instance is passed over now: the next call goes straight to the other one.
  CHECK(peers.call(post, "/api/orders").body == "other");
  CHECK(other.requests == 2);
}

TEST_CASE("Peers: a dropped answer is not sent to another instance") {
  Server dropping("dropping", true), other("other");
  const Peers peers(dropping.url() + "," + other.url());
  HttpCall post;
  post.method = "POST";
  post.timeout = std::chrono::milliseconds{1000};
  const auto r = peers.call(post, "/api/orders");
  CHECK(r.status == 0);
  CHECK_FALSE(r.connect_failed);
  CHECK(dropping.requests == 1);
  CHECK(other.requests == 0);
}

TEST_CASE("Peers: every instance refusing is a connect failure") {
  const Peers peers(refused_url() + "," + refused_url());
  const auto r = peers.call(HttpCall{}, "/health");
  CHECK(r.status == 0);
  CHECK(r.connect_failed);
}

TEST_CASE("Peers: bad lists are refused") {
  CHECK_THROWS_AS(Peers(""), std::invalid_argument);
  CHECK_THROWS_AS(Peers(" , "), std::invalid_argument);
  CHECK_THROWS_AS(Peers("http://127.0.0.1:1,ftp://x"), std::invalid_argument);
}
