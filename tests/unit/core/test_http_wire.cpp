// Hand-written message heads (core::wire) against Beast's own serializer: the same bytes.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "shopmesh/core/http.hpp"
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

namespace {

// A service's answer as the server built it with Beast before append_answer_head: its own fields
// set, then each of the handler's, the payload prepared and the connection's fate stated.
std::string beast_answer(const wire::AnswerHead& a, const Headers& fields, const std::string& body) {
  http::response<http::string_body> out{static_cast<http::status>(a.status), 11};
  out.set(http::field::server, "shopmesh");
  out.set(http::field::date, a.date);
  if (!a.content_type.empty()) out.set(http::field::content_type, a.content_type);
  out.set("X-Request-Id", a.request_id);
  for (const auto [k, v] : fields) out.set(k, v);
  out.body() = body;
  out.keep_alive(a.keep_alive);
  out.prepare_payload();
  std::string head;
  wire::append_head(out, head);
  return head;
}

std::string answer_head(const wire::AnswerHead& a, const Headers& fields) {
  std::string out = "left over";
  out.clear();
  wire::append_answer_head(a, fields, out);
  return out;
}

}  // namespace

TEST_CASE("wire: a service's answer head carries the fields a Beast message would") {
  const std::string_view date = "Sun, 06 Dec 2026 12:00:00 GMT";
  const std::string body = R"({"id":"p-1"})";
  Headers none;
  wire::AnswerHead ok{.status = 200, .content_type = "application/json", .request_id = "r-1", .date = date,
                      .keep_alive = true, .body_size = body.size()};
  CHECK(answer_head(ok, none) == beast_answer(ok, none, body));
  CHECK(answer_head(ok, none) ==
        "HTTP/1.1 200 OK\r\nServer: shopmesh\r\nDate: Sun, 06 Dec 2026 12:00:00 GMT\r\nContent-Type: application/json\r\n"
        "X-Request-Id: r-1\r\nContent-Length: 12\r\n\r\n");

  // The handler's fields after the server's; one of the same name replaces the server's.
  Headers created;
  created.set("Location", "/api/products/p-1");
  created.set("Server", "products");
  wire::AnswerHead made = ok;
  made.status = 201;
  CHECK(answer_head(made, created) == beast_answer(made, created, body));
  CHECK(answer_head(made, created).find("Server: shopmesh") == std::string::npos);

  // A problem on a connection that then closes; an answer without a content type.
  Headers allow;
  allow.add("Allow", "GET, HEAD");
  wire::AnswerHead refused{.status = 405, .content_type = "application/problem+json", .request_id = "r-2",
                           .date = date, .keep_alive = false, .body_size = body.size()};
  CHECK(answer_head(refused, allow) == beast_answer(refused, allow, body));
  CHECK(answer_head(refused, allow).ends_with("Connection: close\r\nContent-Length: 12\r\n\r\n"));
  wire::AnswerHead plain = ok;
  plain.content_type = {};
  CHECK(answer_head(plain, none) == beast_answer(plain, none, body));

  // No Content-Length where no body may follow (Beast's message says 0); framing from a handler is
  // not taken.
  wire::AnswerHead empty = ok;
  empty.status = 204;
  empty.content_type = {};
  empty.body_size = 0;
  const std::string head = answer_head(empty, none);
  CHECK(head.substr(0, head.size() - 2) + "Content-Length: 0\r\n\r\n" == beast_answer(empty, none, ""));
  CHECK(answer_head(empty, none) ==
        "HTTP/1.1 204 No Content\r\nServer: shopmesh\r\nDate: Sun, 06 Dec 2026 12:00:00 GMT\r\nX-Request-Id: r-1\r\n\r\n");
  Headers framing;
  framing.add("Content-Length", "99");
  framing.add("transfer-encoding", "chunked");
  framing.add("Cache-Control", "no-store");
  CHECK(answer_head(ok, framing) ==
        "HTTP/1.1 200 OK\r\nServer: shopmesh\r\nDate: Sun, 06 Dec 2026 12:00:00 GMT\r\nContent-Type: application/json\r\n"
        "X-Request-Id: r-1\r\nCache-Control: no-store\r\nContent-Length: 12\r\n\r\n");
}
