// The upstream request the gateway makes of a client's (http_rules: prepare_upstream_request), and
// what read errors mean (refusal_for_read_error).
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
  req.set("Forwarded", "for=10.0.0.1");
  req.set(http::field::connection, "keep-alive, X-Api-Key");
  req.set("X-Api-Key", "secret");
  req.set(http::field::te, "trailers");
  req.set(http::field::expect, "100-continue");
  req.set(http::field::content_type, "application/json");
  req.set("X-Mesh-Auth", "v1.orders.9999999999.forged");
  req.body() = R"({"items":[]})";
  return req;
}

}  // namespace

TEST_CASE("gateway upstream request: client identity, forwarding and hop-by-hop headers are replaced", "[gateway]") {
  Request req = client_request();
  Identity id;
  id.user_id = "u-1";
  id.role = "USER";
  prepare_upstream_request(req, {"/api/orders?x=1", "rid-1", "00-trace", "203.0.113.7", &id, &kMesh});
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
  CHECK(req.keep_alive());
  // The mesh credential is the gateway's, over exactly what the service receives.
  REQUIRE(req.count("X-Mesh-Auth") == 1);
  const std::string credential(req["X-Mesh-Auth"]);
  CHECK(kMesh.verify(credential, "POST", "/api/orders?x=1", {"u-1", "USER", "", ""}) == "gateway");
  CHECK_FALSE(kMesh.verify(credential, "POST", "/api/orders?x=1", {"u-1", "ADMIN", "", ""}));
  CHECK_FALSE(kMesh.verify(credential, "GET", "/api/orders?x=1", {"u-1", "USER", "", ""}));
}

TEST_CASE("gateway upstream request: without a verified caller no identity header is forwarded", "[gateway]") {
  Request req = client_request();
  prepare_upstream_request(req, {"/api/orders", "rid-2", "00-trace", "203.0.113.7", nullptr, &kMesh});
  for (const auto& f : req) CHECK_FALSE(is_identity_header({f.name_string().data(), f.name_string().size()}));
  CHECK(kMesh.verify(std::string(req["X-Mesh-Auth"]), "POST", "/api/orders", {}) == "gateway");
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
