// The gateway's request-head rules against hostile framing (tests/fault/hostile.py finds the same
// on the real stack): repeated Content-Length, Transfer-Encoding in HTTP/1.0, obsolete line folding.
#include <boost/asio/buffer.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "shipped_routes.hpp"
#include "shopmesh/gateway/dialects.hpp"
#include "shopmesh/gateway/http_rules.hpp"
#include "shopmesh/gateway/routes.hpp"

using namespace shopmesh::gateway;

namespace {

// Parses a request head the way the server does; the parse itself must succeed.
CheckedHead head_of(const std::string& bytes, RequestParser& parser) {
  ParserLimits(8 * 1024, shipped()).apply(parser);
  beast::error_code ec;
  parser.put(boost::asio::buffer(bytes), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_header_done());
  return check_head(parser, shipped());
}

int refused_with(const std::string& bytes) {
  RequestParser parser;
  const auto head = head_of(bytes, parser);
  return head.refusal ? static_cast<int>(head.refusal->status) : 0;
}

// Feeds `bytes` to has_obs_fold in pieces of `step` bytes, as reads would deliver them.
bool folded(std::string_view bytes, std::size_t step) {
  bool at_line_start = false, found = false;
  for (std::size_t i = 0; i < bytes.size(); i += step) found |= has_obs_fold(bytes.substr(i, step), at_line_start);
  return found;
}

}  // namespace

TEST_CASE("gateway http rules: Content-Length must appear once, as plain digits", "[gateway][hostile]") {
  const std::string post = "POST /api/auth/verify HTTP/1.1\r\nHost: x\r\n";
  CHECK(refused_with(post + "Content-Length: 13\r\n\r\n") == 0);
  // Beast merges these into one length of 13; another hop might not.
  CHECK(refused_with(post + "Content-Length: 13\r\nContent-Length: 13\r\n\r\n") == 400);
  CHECK(refused_with(post + "Content-Length: 13, 13\r\n\r\n") == 400);
  CHECK(refused_with(post + "Content-Length: 0\r\n\r\n") == 0);
}

TEST_CASE("gateway http rules: Transfer-Encoding in an HTTP/1.0 request is faulty framing", "[gateway][hostile]") {
  CHECK(refused_with("POST /api/auth/verify HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(refused_with("POST /api/auth/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
  CHECK(refused_with("POST /api/auth/verify HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\n") == 0);
}

TEST_CASE("gateway http rules: unknown methods and a TRACE with content are routed", "[gateway][hostile]") {
  // SPEC §6: no method produces a 5xx. The service owning the path answers 405 with its Allow.
  CHECK(refused_with("BREW /api/products HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
  CHECK(refused_with("QUERY /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n") == 0);
  RequestParser parser;
  const auto query = head_of("QUERY /api/orders HTTP/1.1\r\nHost: x\r\n\r\n", parser);
  REQUIRE(query.route != nullptr);
  CHECK(query.route->service == "orders");
  // Forwarded without the content (test_upstream_request.cpp): the service answers 405.
  CHECK(refused_with("TRACE /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n") == 0);
  CHECK(refused_with("TRACE /api/products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
  CHECK(refused_with("TRACE /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n") == 0);
  CHECK(refused_with("TRACE /api/products HTTP/1.1\r\nHost: x\r\n\r\n") == 0);  // the service answers 405
  CHECK(refused_with("PROPFIND /api/products HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
}

TEST_CASE("gateway http rules: a seed's path with a method it does not take has no route, and an Allow",
          "[gateway]") {
  RequestParser trace_parser, get_parser, nowhere_parser;
  const auto trace = head_of("TRACE /books/ HTTP/1.1\r\nHost: x\r\n\r\n", trace_parser);
  CHECK(trace.route == nullptr);
  CHECK(trace.allow == "GET, HEAD, POST");  // the builtins stage answers 405 with it
  const auto get = head_of("GET /books/ HTTP/1.1\r\nHost: x\r\n\r\n", get_parser);
  CHECK(get.route != nullptr);
  CHECK(get.allow.empty());
  CHECK(head_of("TRACE /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", nowhere_parser).allow.empty());
}

TEST_CASE("gateway http rules: obsolete line folding is found wherever the reads split the head",
          "[gateway][hostile]") {
  const std::string plain = "GET /api/users/me HTTP/1.1\r\nHost: x\r\nX-Note: a b\r\n\r\n";
  const std::string fold = "GET /api/users/me HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n";
  const std::string tab_fold = "POST /x HTTP/1.1\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{4096}}) {
    INFO("pieces of " << step);
    CHECK_FALSE(folded(plain, step));
    CHECK(folded(fold, step));
    CHECK(folded(tab_fold, step));
  }
  // A space inside a value or after the colon is no fold.
  CHECK_FALSE(folded("GET / HTTP/1.1\r\nX-A:   spaced   out\t\r\n\r\n", 3));
}

TEST_CASE("gateway http rules: rewrites apply before matching, with the rewrite's method", "[gateway]") {
  auto routed = [](const std::string& line) {
    RequestParser parser;
    auto head = head_of(line + "\r\nHost: x\r\n\r\n", parser);
    REQUIRE(head.route != nullptr);
    return head;
  };
  const std::string id = "0190a0f0-0000-7000-8000-000000000001";
  const auto put = routed("PUT /books/" + id + "/ HTTP/1.1");  // FastAPI clients send the slash or not
  CHECK(put.path == "/api/products/" + id);
  CHECK(put.client_path == "/books/" + id);
  CHECK(put.route->auth == AuthPolicy::admin);
  REQUIRE(put.rewrite != nullptr);
  CHECK(put.rewrite->to_method == "PATCH");
  CHECK(put.dialect == find_dialect("seed003"));
  const auto list = routed("GET /books/?page=2&size=5 HTTP/1.1");
  CHECK(list.path == "/api/products");
  CHECK(list.query == "?page=2&size=5");  // the transform maps it (dialect stage)
  CHECK(list.route->auth == AuthPolicy::public_access);
  CHECK(routed("POST /orders/ HTTP/1.1").route->auth == AuthPolicy::user);
  CHECK(routed("GET /orders/my-orders HTTP/1.1").route->auth == AuthPolicy::user);
  RequestParser parser;
  const auto plain = head_of("GET /api/products HTTP/1.1\r\nHost: x\r\n\r\n", parser);
  CHECK(plain.rewrite == nullptr);
  CHECK(plain.client_path.empty());
  CHECK(plain.dialect == nullptr);
}

TEST_CASE("gateway http rules: an answer already framed is left as it is, any other is framed", "[gateway]") {
  http::response<http::string_body> res{http::status::ok, 11};
  res.body() = "{\"a\":1}";
  res.set(http::field::content_length, "7");
  frame_payload(res);
  CHECK(res[http::field::content_length] == "7");
  res.set(http::field::content_length, "70");  // wrong: rewritten from the body
  frame_payload(res);
  CHECK(res[http::field::content_length] == "7");
  res.set(http::field::content_length, "7, 7");
  frame_payload(res);
  CHECK(res[http::field::content_length] == "7");
  res.erase(http::field::content_length);
  res.set(http::field::transfer_encoding, "chunked");
  frame_payload(res);
  CHECK(res[http::field::content_length] == "7");
  CHECK(res.count(http::field::transfer_encoding) == 0);
}
