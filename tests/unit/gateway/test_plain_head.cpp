// The fast path for plain request heads against Beast's parser: what it takes, Beast reads into the
// same message (method, target, version, the fields in order); what it declines is left to Beast.
#include <boost/asio/buffer.hpp>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "mutate.hpp"
#include "shopmesh/core/http_wire.hpp"
#include "shopmesh/gateway/plain_head.hpp"

using namespace shopmesh::gateway;
using State = PlainHead::State;
using shopmesh::test::mutated;

namespace {

constexpr std::size_t kLimit = 8 * 1024;

std::string text(beast::string_view s) { return {s.data(), s.size()}; }

// The message as text: request line, then each field as Beast stores it.
std::string dump(const Request& req) {
  std::string out = text(req.method_string()) + " " + text(req.target()) + " " + std::to_string(req.version()) + "\n";
  for (const auto& f : req) out += text(f.name_string()) + "=[" + text(f.value()) + "]\n";
  return out;
}

using Answer = http::response<http::string_body>;

std::string dump(const Answer& res) {
  std::string out =
      std::to_string(res.result_int()) + " [" + text(res.reason()) + "] " + std::to_string(res.version()) + "\n";
  for (const auto& f : res) out += text(f.name_string()) + "=[" + text(f.value()) + "]\n";
  return out + "body=[" + res.body() + "]\n";
}

// What Beast's parser reads from `bytes`, as dump() shows it, and how many bytes it took; nullopt
// when it fails or wants more.
template <bool isRequest>
std::optional<std::string> beast_read(http::parser<isRequest, http::string_body>& parser, const std::string& bytes,
                                      std::size_t* used) {
  parser.header_limit(kLimit);
  parser.eager(true);
  beast::error_code ec;
  const auto n = parser.put(boost::asio::buffer(bytes), ec);
  if (ec || !parser.is_done()) return std::nullopt;
  if (used) *used = n;
  return dump(parser.get());
}

std::optional<std::string> beast_request(const std::string& bytes, std::size_t* used = nullptr) {
  http::request_parser<http::string_body> parser;
  return beast_read(parser, bytes, used);
}

std::optional<std::string> beast_answer(const std::string& bytes, bool head_request, std::size_t* used = nullptr) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  parser.skip(head_request);
  return beast_read(parser, bytes, used);
}

std::optional<std::string> fast_request(const std::string& bytes, std::size_t* used = nullptr) {
  Request fast;
  const PlainHead head = parse_plain_head(bytes, kLimit, fast);
  if (head.state != State::parsed) return std::nullopt;
  if (used) *used = head.length;
  return dump(fast);
}

// The fast path's answer to `bytes` (its head, then the body after it), or nullopt when it declined
// (or wants more).
std::optional<std::string> fast_answer(const std::string& bytes, bool head_request, std::size_t* used = nullptr) {
  Answer fast;
  std::uint64_t body = 0;
  const PlainHead head = parse_plain_response_head(bytes, kLimit, head_request, 1 << 20, fast, body);
  if (head.state != State::parsed || bytes.size() < head.length + body) return std::nullopt;
  fast.body() = bytes.substr(head.length, body);
  if (used) *used = head.length + body;
  return dump(fast);
}

// The fast path must take `bytes`, and Beast read the same message from as many bytes.
std::string same_as_beast(const std::string& bytes) {
  std::size_t fast_used = 0, beast_used = 0;
  const auto fast = fast_request(bytes, &fast_used);
  REQUIRE(fast);
  CHECK(fast == beast_request(bytes, &beast_used));
  CHECK(fast_used == beast_used);
  return *fast;
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

TEST_CASE("plain head: the end of a head is searched for in what is new only", "[gateway][plain_head]") {
  const std::string head = "GET /a HTTP/1.1\r\nHost: gw\r\n\r\n";
  std::size_t searched = 0;
  bool ended = false;
  std::size_t at = 0;
  for (std::size_t n = 1; n <= head.size() && !ended; ++n) {  // a byte at a time
    ended = head_ended(std::string_view(head).substr(0, n), searched);
    CHECK(searched == n);
    at = n;
  }
  CHECK(ended);
  CHECK(at == head.size());  // not before its last byte
  searched = 0;
  CHECK_FALSE(head_ended("GET / HTTP/1.1\r\n", searched));
}

TEST_CASE("plain head: a reader parses at its first look, at the end of the head, or at the limit",
          "[gateway][plain_head]") {
  std::size_t searched = 0;
  CHECK(parse_due("GET / HT", 64, searched));  // the first look
  CHECK_FALSE(parse_due("GET / HTTP/1.1\r\n", 64, searched));
  CHECK(parse_due("GET / HTTP/1.1\r\n\r\n", 64, searched));
  searched = 5;
  CHECK(parse_due(std::string(64, 'x'), 64, searched));  // at the limit: the parse declines
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

TEST_CASE("plain head: an upstream's answer is read as Beast reads it", "[gateway][plain_head]") {
  const std::string ok =
      "HTTP/1.1 200 OK\r\nServer: shopmesh\r\nContent-Type: application/json\r\nX-Request-Id: r1\r\n"
      "Content-Length: 11\r\n\r\n{\"id\":\"42\"}";
  std::size_t fast_used = 0, beast_used = 0;
  const auto fast = fast_answer(ok, false, &fast_used);
  REQUIRE(fast);
  CHECK(fast == beast_answer(ok, false, &beast_used));
  CHECK(fast_used == beast_used);
  CHECK(fast->find("body=[{\"id\":\"42\"}]") != std::string::npos);
  // A HEAD answer states the length of a body it does not carry.
  CHECK(fast_answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", true) ==
        beast_answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", true));
  CHECK(fast_answer("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", false) ==
        beast_answer("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", false));
  Answer res;
  std::uint64_t body = 0;
  const auto declined = [&](const std::string& bytes) {
    return parse_plain_response_head(bytes, kLimit, false, 1 << 20, res, body).state == State::declined;
  };
  CHECK(declined("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  CHECK(declined("HTTP/1.1 200 OK\r\n\r\n"));  // to the end of the connection
  CHECK(declined("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"));
  CHECK(declined("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"));
  CHECK(declined("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n"));  // over the body limit
  CHECK(declined("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"));
  CHECK(parse_plain_response_head("HTTP/1.1 200 OK\r\nContent-Le", kLimit, false, 1 << 20, res, body).state ==
        State::incomplete);
}

// A property over many mutated heads: whatever the fast path reads, Beast reads to the same message
// from the same number of bytes.
TEST_CASE("plain head: over mutated heads, what the fast path takes Beast reads the same", "[gateway][plain_head]") {
  std::mt19937 rng(20261205);
  const std::vector<std::string> requests = {
      "GET /api/products/42?x=1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer abc.def\r\nAccept: */*\r\n\r\n",
      "DELETE /api/cart HTTP/1.0\r\nConnection: keep-alive\r\nX-A:  v \r\n\r\nGET / HTTP/1.1\r\n\r\n"};
  const std::vector<std::string> answers = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\nX-Request-Id: r\r\n\r\n{\"a\":1}",
      "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"};
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string req = mutated(requests[static_cast<std::size_t>(i) % requests.size()], rng);
    std::size_t a = 0, b = 0;
    if (const auto fast = fast_request(req, &a)) {
      ++taken;
      INFO(req);
      CHECK(fast == beast_request(req, &b));
      CHECK(a == b);
    }
    const std::string res = mutated(answers[static_cast<std::size_t>(i) % answers.size()], rng);
    if (const auto fast = fast_answer(res, false, &a)) {
      ++taken;
      INFO(res);
      CHECK(fast == beast_answer(res, false, &b));
      CHECK(a == b);
    }
  }
  CHECK(taken > 5000);  // the mutations leave many heads plain: the property is exercised
}

namespace {

// An upstream's answer head kept as bytes, with the status line and body the proxy puts in the Response.
struct Kept {
  Exchange ex;
  Answer res;
  bool kept = false;
};

Kept keep(const std::string& bytes) {
  Kept k;
  const PlainHead head = parse_plain_answer(bytes, kLimit, 1 << 20, k.res, k.ex.answer, k.kept);
  REQUIRE(head.state == State::parsed);
  k.res.body() = bytes.substr(head.length, k.ex.answer.body_length);
  return k;
}

// What a client is sent: the kept head and the body, or the Response written as a whole.
std::string sent(const Kept& k) {
  std::string out;
  if (k.ex.answer.head.empty()) {
    shopmesh::core::wire::append_head(k.res, out);
  } else {
    write_answer_head(k.res, k.ex, out);
  }
  return out + k.res.body();
}

}  // namespace

TEST_CASE("plain head: an answer kept as bytes goes out as the whole message would", "[gateway][plain_head]") {
  const std::string ok =
      "HTTP/1.1 200 OK\r\nServer: shopmesh\r\nContent-Type: application/json\r\nX-Request-Id: r1\r\n"
      "Content-Length: 11\r\n\r\n{\"id\":\"42\"}";
  Kept k = keep(ok);
  REQUIRE(k.kept);
  CHECK(k.ex.answer.head == ok.substr(0, ok.size() - 11));
  CHECK(k.ex.answer.status == 200);
  CHECK(k.ex.answer.body_length == 11);
  CHECK(k.ex.answer.request_id() == "r1");
  CHECK_FALSE(k.ex.answer.date);  // the gateway adds one when it answers
  CHECK(keep("HTTP/1.1 200 OK\r\ndate: Sun, 06 Dec 2026 09:14:07 GMT\r\nContent-Length: 0\r\n\r\n").ex.answer.date);
  CHECK(k.res.begin() == k.res.end());  // no field read
  CHECK(sent(k) == ok);

  // Read into the Response, it is the message Beast reads, and is written back to the same bytes.
  Kept whole = keep(ok);
  read_answer_fields(whole.res, whole.ex);
  CHECK(whole.ex.answer.head.empty());
  CHECK(dump(whole.res) == beast_answer(ok, false));
  CHECK(sent(whole) == ok);

  // Fields the stages set replace the upstream's of the same names, whichever way it goes out.
  for (bool read : {false, true}) {
    Kept set = keep(ok);
    set.res.set("x-request-id", "r2");
    set.res.set("RateLimit-Limit", "10");
    if (read) read_answer_fields(set.res, set.ex);
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    beast::error_code ec;
    const std::string bytes = sent(set);
    parser.put(boost::asio::buffer(bytes), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_done());
    const Answer& got = parser.get();
    CHECK(got.count("X-Request-Id") == 1);
    CHECK(got["X-Request-Id"] == "r2");
    CHECK(got["RateLimit-Limit"] == "10");
    CHECK(got[http::field::server] == "shopmesh");
    CHECK(got[http::field::content_length] == "11");
    CHECK(got.body() == "{\"id\":\"42\"}");
  }

  // Several ids: none to compare with.
  CHECK(keep("HTTP/1.1 200 OK\r\nX-Request-Id: a\r\nX-Request-Id: b\r\nContent-Length: 0\r\n\r\n")
            .ex.answer.request_id()
            .empty());
  // Not as it came: another version, or a field for this hop only. The status line is read all the same.
  for (const std::string& bytes :
       {std::string("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n"),
        std::string("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")}) {
    const Kept other = keep(bytes);
    CHECK_FALSE(other.kept);
    CHECK(other.ex.answer.head.empty());
    CHECK(other.res.result_int() == static_cast<unsigned>(std::stoi(bytes.substr(9, 3))));
  }
}

// Values and targets are checked sixteen or eight bytes at a time, the last ones loaded again: a bad
// byte is found at every position of every length.
TEST_CASE("plain head: a byte outside a value's or a target's set is found wherever it is", "[gateway][plain_head]") {
  for (std::size_t n = 1; n <= 40; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      for (char bad : {'\x01', '\x1f', '\x7f', '\x80', '\xff'}) {
        std::string value(n, 'v');
        value[at] = bad;
        CHECK(state_of("GET / HTTP/1.1\r\nX-A: " + value + "\r\n\r\n") == State::declined);
        std::string target = "/" + std::string(n, 't');
        target[at + 1] = bad;
        CHECK(state_of("GET " + target + " HTTP/1.1\r\n\r\n") == State::declined);
      }
      std::string tabbed(n, 'v');
      tabbed[at] = '\t';
      if (at != 0 && at != n - 1) CHECK(same_as_beast("GET / HTTP/1.1\r\nX-A: " + tabbed + "\r\n\r\n").size() > 0);
    }
  }
}
