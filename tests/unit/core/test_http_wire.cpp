// Hand-written message heads (core::wire) against Beast's own serializer: the same bytes.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "shopmesh/core/http_wire.hpp"

namespace http = boost::beast::http;
using namespace shopmesh::core;

namespace {

template <bool isRequest>
std::string beast_bytes(http::message<isRequest, http::string_body> msg) {
  std::string out;
  http::serializer<isRequest, http::string_body> sr{msg};
  boost::beast::error_code ec;
  while (!sr.is_done()) {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      out += boost::beast::buffers_to_string(buffers);
      sr.consume(boost::beast::buffer_bytes(buffers));
    });
    REQUIRE(!ec);
  }
  return out;
}

template <bool isRequest>
std::string wire_bytes(const http::message<isRequest, http::string_body>& msg, bool head_only = false) {
  std::string scratch = "left over from the previous message";
  std::string out;
  for (const auto& b : wire::buffers(msg, scratch, head_only)) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

}  // namespace

TEST_CASE("wire: a request is written as Beast writes it") {
  http::request<http::string_body> req{http::verb::post, "/api/orders?x=1", 11};
  req.set(http::field::host, "orders:8080");
  req.set("X-User-Id", "0196-user");
  req.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  req.insert("X-Repeated", "one");
  req.insert("X-Repeated", "two");
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"items":[{"productId":"p","quantity":2}]})";
  req.keep_alive(true);
  req.prepare_payload();
  const auto bytes = wire_bytes(req);
  CHECK(bytes == beast_bytes(req));
  CHECK(bytes.starts_with("POST /api/orders?x=1 HTTP/1.1\r\nHost: orders:8080\r\n"));
  CHECK(bytes.ends_with("\r\n\r\n" + req.body()));

  http::request<http::string_body> get{http::verb::get, "/health", 10};
  get.prepare_payload();
  CHECK(wire_bytes(get) == beast_bytes(get));
  CHECK(wire_bytes(get) == "GET /health HTTP/1.0\r\n\r\n");

  http::request<http::string_body> custom;
  custom.method_string("PURGE");
  custom.target("/cache");
  custom.version(11);
  CHECK(wire_bytes(custom) == beast_bytes(custom));
}

TEST_CASE("wire: a response is written as Beast writes it, reason phrase included") {
  http::response<http::string_body> res{http::status::created, 11};
  res.set(http::field::content_type, "application/json");
  res.set("X-Request-Id", "r-1");
  res.body() = R"({"id":"o-1"})";
  res.prepare_payload();
  CHECK(wire_bytes(res) == beast_bytes(res));
  CHECK(wire_bytes(res).starts_with("HTTP/1.1 201 Created\r\n"));

  http::response<http::string_body> upstream{http::status::ok, 11};
  upstream.reason("Fine");  // an upstream's own phrase is kept
  upstream.prepare_payload();
  CHECK(wire_bytes(upstream) == beast_bytes(upstream));
  CHECK(wire_bytes(upstream).starts_with("HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n"));

  http::response<http::string_body> odd;
  odd.result(599);
  odd.version(10);
  odd.prepare_payload();
  CHECK(wire_bytes(odd) == beast_bytes(odd));
}

TEST_CASE("wire: head only leaves the body out, a chunked body is refused") {
  http::response<http::string_body> res{http::status::ok, 11};
  res.body() = "0123456789";
  res.prepare_payload();
  CHECK(wire_bytes(res, true) == "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");

  res.chunked(true);
  CHECK(wire_bytes(res, true) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string scratch;
  CHECK_THROWS_AS(wire::buffers(res, scratch), std::invalid_argument);
}
