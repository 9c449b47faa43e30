// The upstream request the gateway makes of a client's (http_rules: write_upstream_request), read
// back from its bytes as the service's parser reads it, and what read errors mean
// (refusal_for_read_error).
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <catch2/catch.hpp>

#include "shopmesh/gateway/auth.hpp"
#include "shopmesh/gateway/http_rules.hpp"

using namespace shopmesh::gateway;

namespace {

const shopmesh::core::MeshAuth kMesh("gateway", {"0123456789abcdef0123456789abcdef-unit"});

Request client_request() {
  Request req{http::verb::post, "/api//orders/?x=1", 10};
  req.set(http::field::host, "api.shop.example");
  req.set("X-User-Id", "someone-else");
  req.set("x-user-role", "ADMIN");
  req.set("X-Session-Id", "stolen");
  req.set("X-Forwarded-For", "10.0.0.1");
  req.set("X-Forwarded-Proto", "https");
  req.set("Forwarded", "for=10.0.0.1");
  req.set(http::field::connection, "keep-alive, X-Api-Key");
  req.set("X-Api-Key", "secret");
  req.set(http::field::te, "trailers");
  req.set(http::field::expect, "100-continue");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer the-verified-token");
  req.set("X-Mesh-Auth", "v1.orders.9999999999.forged");
  req.body() = R"({"items":[]})";
  return req;
}

// The upstream request for `client`, parsed from the bytes the gateway would send.
Request upstream_of(const Request& client, const ForwardInfo& info) {
  UpstreamRequest out;
  write_upstream_request(client, info, out);
  const std::string bytes = out.head + std::string(out.body);
  RequestParser parser;
  parser.eager(true);
  beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(bytes), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  REQUIRE(used == bytes.size());
  CHECK(out.method == client.method());
  return parser.release();
}

}  // namespace

TEST_CASE("gateway upstream request: client identity, forwarding and hop-by-hop headers are replaced", "[gateway]") {
  Identity id;
  id.user_id = "u-1";
  id.role = "USER";
  const Request client = client_request();
  const Request req = upstream_of(client, {"/api/orders?x=1", "rid-1", "00-trace", "203.0.113.7", &id, &kMesh});
  CHECK(req.target() == "/api/orders?x=1");
  CHECK(req.version() == 11);
  CHECK(req["X-User-Id"] == "u-1");
  CHECK(req["X-User-Role"] == "USER");
  CHECK(req.count("X-Session-Id") == 0);
  CHECK(req.count("X-User-Id") == 1);
  CHECK(req["X-Forwarded-For"] == "203.0.113.7");
  CHECK(req.count("Forwarded") == 0);
  CHECK(req.count("X-Api-Key") == 0);  // named by Connection: hop-by-hop
  CHECK(req.count(http::field::te) == 0);
  CHECK(req.count(http::field::expect) == 0);
  CHECK(req["X-Request-Id"] == "rid-1");
  CHECK(req[http::field::content_length] == "12");
  CHECK(req[http::field::content_type] == "application/json");
  CHECK(req[http::field::host] == "api.shop.example");
  CHECK(req["traceparent"] == "00-trace");
  CHECK(req.count("X-Forwarded-Proto") == 0);  // a client's claim stops here; the gateway speaks plain HTTP
  CHECK(req.count(http::field::authorization) == 0);  // verified: the identity stands in for it
  CHECK(req.body() == client.body());
  CHECK(req.keep_alive());
  CHECK(client["X-User-Id"] == "someone-else");  // the client's request is left as it was
  // The mesh credential is the gateway's, over exactly what the service receives.
  REQUIRE(req.count("X-Mesh-Auth") == 1);
  const std::string credential(req["X-Mesh-Auth"]);
  CHECK(kMesh.verify(credential, "POST", "/api/orders?x=1", {"u-1", "USER", "", ""}) == "gateway");
  CHECK_FALSE(kMesh.verify(credential, "POST", "/api/orders?x=1", {"u-1", "ADMIN", "", ""}));
  CHECK_FALSE(kMesh.verify(credential, "GET", "/api/orders?x=1", {"u-1", "USER", "", ""}));
}

TEST_CASE("gateway upstream request: without a verified caller no identity header is forwarded", "[gateway]") {
  const Request req = upstream_of(client_request(), {"/api/orders", "rid-2", "00-trace", "203.0.113.7", nullptr, &kMesh});
  for (const auto& f : req) CHECK_FALSE(is_identity_header({f.name_string().data(), f.name_string().size()}));
  CHECK(req[http::field::authorization] == "Bearer the-verified-token");  // not verified: the service decides
  CHECK(kMesh.verify(std::string(req["X-Mesh-Auth"]), "POST", "/api/orders", {}) == "gateway");
}

TEST_CASE("gateway upstream request: framing as prepare_payload sets it", "[gateway]") {
  Request get{http::verb::get, "/api/products", 11};
  get.set(http::field::content_length, "0");
  CHECK(upstream_of(get, {"/api/products", "r", "t", "a", nullptr, &kMesh}).count(http::field::content_length) == 0);
  Request post{http::verb::post, "/api/cart", 11};
  post.set(http::field::transfer_encoding, "chunked");  // the client's framing; the body is whole now
  const Request up = upstream_of(post, {"/api/cart", "r", "t", "a", nullptr, &kMesh});
  CHECK(up[http::field::content_length] == "0");
  CHECK(up.count(http::field::transfer_encoding) == 0);
  Request del{http::verb::delete_, "/api/cart/items/1", 11};
  del.body() = "{}";
  const Request up_del = upstream_of(del, {"/api/cart/items/1", "r", "t", "a", nullptr, &kMesh});
  CHECK(up_del[http::field::content_length] == "2");
}

TEST_CASE("gateway upstream request: a TRACE goes on without the content a client must not send", "[gateway]") {
  for (const bool chunked : {false, true}) {
    Request trace = client_request();
    trace.method(http::verb::trace);
    if (chunked)
      trace.chunked(true);
    else
      trace.content_length(trace.body().size());
    const Request up = upstream_of(trace, {"/api/orders", "rid-3", "00-trace", "203.0.113.7", nullptr, &kMesh});
    CHECK(up.method() == http::verb::trace);
    CHECK(up.body().empty());
    CHECK(up.count(http::field::transfer_encoding) == 0);
    CHECK(up.count(http::field::content_length) == 0);
    CHECK(kMesh.verify(std::string(up["X-Mesh-Auth"]), "TRACE", "/api/orders", {}) == "gateway");
  }
}

TEST_CASE("gateway http rules: read errors close quietly or refuse with a status", "[gateway]") {
  CHECK_FALSE(refusal_for_read_error(http::error::end_of_stream, ReadPhase::head));
  CHECK_FALSE(refusal_for_read_error(boost::asio::error::connection_reset, ReadPhase::body));
  CHECK_FALSE(refusal_for_read_error(beast::error::timeout, ReadPhase::head));
  CHECK(refusal_for_read_error(http::error::header_limit, ReadPhase::head)->status ==
        http::status::request_header_fields_too_large);
  CHECK(refusal_for_read_error(http::error::body_limit, ReadPhase::body)->status == http::status::payload_too_large);
  CHECK(refusal_for_read_error(http::error::bad_chunk, ReadPhase::body)->status == http::status::bad_request);
  CHECK(refusal_for_read_error(http::error::bad_transfer_encoding, ReadPhase::head)->status ==
        http::status::bad_request);
}
