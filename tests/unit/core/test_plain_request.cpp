// The services' server reads a plain request (core/plain_head.hpp) without Beast's parser: what the
// fast path takes must be the request Beast's parser reads from the same bytes (method, target, the
// fields in order, the body, keep-alive, the bytes taken); what it declines is left to Beast.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "mutate.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/plain_head.hpp"
#include "shopmesh/core/text.hpp"

using namespace shopmesh::core;
namespace http = boost::beast::http;
using State = PlainHead::State;

namespace {

constexpr std::size_t kLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 1 << 20;

// The request as text, its fields in the order Beast's message keeps them: a field whose name came
// before goes after the last of that name (basic_fields::insert). Values of one name keep their order
// either way, which is all a service reads (Headers::get takes the first).
std::string dump(const Request& r, bool keep_alive) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : r.headers) {
    auto at = fields.end();
    for (auto it = fields.begin(); it != fields.end(); ++it)
      if (iequals(it->first, f.first)) at = it + 1;
    fields.emplace(at, f.first, f.second);
  }
  std::string out = r.method + " " + r.target + (keep_alive ? " keep-alive" : " close") + "\n";
  for (const auto& [k, v] : fields) out += k + "=[" + v + "]\n";
  return out + "body=[" + r.body + "]\n";
}

// What the services' server reads through Beast's parser, as dump() shows it; nullopt when Beast
// refuses or wants more.
std::optional<std::string> beast_request(const std::string& bytes, std::size_t* used = nullptr) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  boost::beast::error_code ec;
  const auto n = parser.put(boost::asio::buffer(bytes), ec);
  if (ec || !parser.is_done()) return std::nullopt;
  if (used) *used = n;
  const auto& msg = parser.get();
  Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& f : msg) r.headers.add(std::string(f.name_string()), std::string(f.value()));
  r.body = msg.body();
  return dump(r, msg.keep_alive());
}

// The fast path's request from `bytes` (its head, then the Content-Length body after it), or nullopt
// when it declined or wants more.
std::optional<std::string> fast_request(const std::string& bytes, std::size_t* used = nullptr,
                                        State* state = nullptr) {
  Request r;
  bool keep_alive = false;
  std::optional<std::uint64_t> length;
  const PlainHead head = parse_plain_request(bytes, kLimit, r, keep_alive, length);
  if (state) *state = head.state;
  if (head.state != State::parsed || bytes.size() < head.length + length.value_or(0)) return std::nullopt;
  r.body = bytes.substr(head.length, length.value_or(0));
  if (used) *used = head.length + length.value_or(0);
  return dump(r, keep_alive);
}

}  // namespace

TEST_CASE("plain request: a service's GET and POST are read as Beast reads them", "[core][plain_head]") {
  const std::string get =
      "GET /products/42?x=1 HTTP/1.1\r\nHost: products\r\nX-User-Id: u-1\r\nX-Request-Id: r-1\r\n"
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nX-Mesh-Auth: v1.gateway.1.mac\r\n\r\n";
  const std::string post =
      "POST /orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
      "{\"items\":[]}\nGET / HTTP/1.1\r\n\r\n";
  const std::string repeated = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nhost: b\r\n\r\n";
  const std::string zero_padded = "POST /a HTTP/1.1\r\nContent-Length: 005\r\n\r\nhello";
  const std::string spaced = "POST /a HTTP/1.1\r\nContent-Length: \t 2 \r\n\r\n{}";
  const std::string empty_body = "PUT /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
  for (const auto& bytes : {get, post, repeated, zero_padded, spaced, empty_body}) {
    std::size_t a = 0, b = 0;
    const auto fast = fast_request(bytes, &a);
    REQUIRE(fast);
    CHECK(fast == beast_request(bytes, &b));
    CHECK(a == b);
  }
  CHECK(fast_request(post)->find("close\n") != std::string::npos);
  CHECK(fast_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")->find("keep-alive") != std::string::npos);
  CHECK(fast_request("GET / HTTP/1.0\r\n\r\n")->find(" close") != std::string::npos);
}

TEST_CASE("plain request: chunked bodies, two lengths, two Connection fields are Beast's", "[core][plain_head]") {
  for (const char* bytes : {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                            "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
                            "GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
                            "GET / HTTP/1.1\r\nConnection: close, upgrade\r\n\r\n",
                            "GET http://a/ HTTP/1.1\r\n\r\n"}) {
    INFO(bytes);
    State state = State::parsed;
    CHECK_FALSE(fast_request(bytes, nullptr, &state));
    CHECK(state == State::declined);
  }
}

// A property over many mutated requests: whatever the fast path reads, Beast reads to the same request
// from the same number of bytes.
TEST_CASE("plain request: over mutated requests, what the fast path takes Beast reads the same", "[core][plain_head]") {
  std::mt19937 rng(20261205);
  const std::vector<std::string> samples = {
      "GET /products/42?x=1 HTTP/1.1\r\nHost: products\r\nX-User-Id: 7\r\nConnection: keep-alive\r\n\r\n",
      "POST /orders HTTP/1.1\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n{\"items\":[]}",
      "DELETE /cart HTTP/1.0\r\nConnection: close\r\nX-A:  v \r\n\r\nGET / HTTP/1.1\r\n\r\n"};
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string bytes = shopmesh::test::mutated(samples[static_cast<std::size_t>(i) % samples.size()], rng);
    std::size_t a = 0, b = 0;
    if (const auto fast = fast_request(bytes, &a)) {
      ++taken;
      INFO(bytes);
      CHECK(fast == beast_request(bytes, &b));
      CHECK(a == b);
    }
  }
  CHECK(taken > 3000);  // the mutations leave many requests plain: the property is exercised
}
