// The fast path for plain request heads against Beast's parser: what it takes, Beast reads into the
// same message (method, target, version, the fields in order); what it declines is left to Beast.
#include <boost/asio/buffer.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shopmesh/gateway/plain_head.hpp"

using namespace shopmesh::gateway;
using State = PlainHead::State;

namespace {

constexpr std::size_t kLimit = 8 * 1024;

std::string text(beast::string_view s) { return {s.data(), s.size()}; }

// The message as text: request line, then each field as Beast stores it.
std::string dump(const Request& req) {
  std::string out = text(req.method_string()) + " " + text(req.target()) + " " + std::to_string(req.version()) + "\n";
  for (const auto& f : req) out += text(f.name_string()) + "=[" + text(f.value()) + "]\n";
  return out;
}

// Parses `bytes` with both; the fast path must take it, and Beast must build the same message.
std::string same_as_beast(const std::string& bytes) {
  Request fast;
  const PlainHead head = parse_plain_head(bytes, kLimit, fast);
  REQUIRE(head.state == State::parsed);
  http::request_parser<http::string_body> parser;
  parser.header_limit(kLimit);
  beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(bytes), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  CHECK(used == head.length);
  CHECK(dump(fast) == dump(parser.get()));
  CHECK(fast.keep_alive() == parser.get().keep_alive());
  return dump(fast);
}

State state_of(const std::string& bytes, std::size_t limit = kLimit) {
  Request req;
  return parse_plain_head(bytes, limit, req).state;
}

}  // namespace

TEST_CASE("plain head: a bearer GET is read as Beast reads it", "[gateway][plain_head]") {
  const std::string token(811, 'x');
  const auto dumped = same_as_beast("GET /api/products/42?x=1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + token +
                                    "\r\nX-Empty:\r\nAccept:  */*  \t\r\nUser-Agent: a\tb\r\n\r\n");
  CHECK(dumped.find("Accept=[*/*]") != std::string::npos);  // OWS trimmed on both sides
  CHECK(dumped.find("X-Empty=[]") != std::string::npos);
  CHECK(dumped.find("User-Agent=[a\tb]") != std::string::npos);
  same_as_beast("GET / HTTP/1.0\r\n\r\n");
  same_as_beast("DELETE /api/cart HTTP/1.1\r\nConnection: close\r\n\r\n");
  same_as_beast("BREW /pot HTTP/1.1\r\nconnection: Keep-Alive\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST_CASE("plain head: a pipelined request after the head is left in place", "[gateway][plain_head]") {
  const std::string first = "GET /a HTTP/1.1\r\nHost: gw\r\n\r\n";
  Request req;
  const auto head = parse_plain_head(first + "GET /b HTTP/1.1\r\n\r\n", kLimit, req);
  REQUIRE(head.state == State::parsed);
  CHECK(head.length == first.size());
  CHECK(text(req.target()) == "/a");
}

TEST_CASE("plain head: waits for the blank line, up to the header limit", "[gateway][plain_head]") {
  CHECK(state_of("GET /a HTTP/1.1\r\nHost: gw\r\n") == State::incomplete);
  CHECK(state_of("GET /a HT") == State::incomplete);
  CHECK(state_of("GET /a HTTP/1.1\r\nHost: gw\r\n", 20) == State::declined);       // over the limit: Beast says so
  CHECK(state_of("GET /a HTTP/1.1\r\nHost: gw\r\n\r\n", 29) == State::declined);  // a head of 29 bytes
}

TEST_CASE("plain head: declines what Beast must read or refuse", "[gateway][plain_head]") {
  const std::vector<std::string> declined = {
      "POST /api/orders HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",        // a body
      "POST /api/orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",  // chunked
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: keep-alive, x\r\n\r\n",
      "GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nX-A : 1\r\n\r\n",            // space before the colon
      "GET / HTTP/1.1\r\nX-A: caf\xc3\xa9\r\n\r\n",    // obs-text
      "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
      "GET / HTTP/1.1\nHost: a\n\n",             // bare LF
      "\r\nGET / HTTP/1.1\r\n\r\n",              // a blank line first
      "GET http://a/ HTTP/1.1\r\n\r\n",          // absolute-form
      "GET * HTTP/1.1\r\n\r\n",
      "GET /a b HTTP/1.1\r\n\r\n",
      "GET /a HTTP/2.0\r\n\r\n",
      "G(T /a HTTP/1.1\r\n\r\n",
      "GET /a HTTP/1.1\r\n: empty name\r\n\r\n",
      "GET /a HTTP/1.1\r\nno colon\r\n\r\n",
  };
  for (const auto& bytes : declined) {
    INFO(bytes);
    CHECK(state_of(bytes) == State::declined);
  }
}

TEST_CASE("plain head: a control byte anywhere in a long value is seen", "[gateway][plain_head]") {
  for (const char bad : {'\0', '\x1f', '\x7f', '\x80', '\xff', '\r'}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string value(40, 'v');
      value[at] = bad;
      INFO("byte " << static_cast<int>(static_cast<unsigned char>(bad)) << " at " << at);
      CHECK(state_of("GET / HTTP/1.1\r\nX-A: " + value + "\r\n\r\n") == State::declined);
    }
  }
  same_as_beast("GET / HTTP/1.1\r\nX-A: " + std::string(40, '\t') + "x" + std::string(33, '~') + "\r\n\r\n");
}
