// Seed 004's dialect (gateway/src/dialects/seed004.cpp): its bodies in and out, its envelope.
#include <catch2/catch.hpp>
#include <string>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/gateway/dialects/seed004.hpp"

using namespace shopmesh::gateway;
namespace core = shopmesh::core;

namespace {

const std::string kId = "01a242ab-9cb3-718b-be53-51f4e257a1d4";

const std::string kProduct = R"({"id":")" + kId + R"(","sku":"S-1","name":"NestJS book","price":59.99,)"
                             R"("imageUrl":"https://example.com/b.jpg","stock":90,"attributes":{}})";

}  // namespace

TEST_CASE("seed 004: ids its collection sends unquoted are quoted, valid JSON is left as it is", "[gateway]") {
  CHECK(seed004::quote_bare_ids(R"({"productId": )" + kId + R"(, "quantity": 2})") ==
        R"({"productId": ")" + kId + R"(", "quantity": 2})");
  CHECK(seed004::quote_bare_ids(R"({"products":[{"productId":)" + kId + "}]}") ==
        R"({"products":[{"productId":")" + kId + R"("}]})");
  const std::string valid = R"({"productId":")" + kId + R"(","note":"a \" )" + kId + R"( in a string"})";
  CHECK(seed004::quote_bare_ids(valid) == valid);
  CHECK(seed004::quote_bare_ids(R"({"n": 12345678})") == R"({"n": 12345678})");
  CHECK(seed004::quote_bare_ids(R"({"x": )" + kId + "5}") == R"({"x": )" + kId + "5}");  // not a whole id
}

TEST_CASE("seed 004: answers are wrapped as its interceptor did, errors as its exception filter did", "[gateway]") {
  CHECK(seed004::success(201, R"({"id":"x"})") == R"({"success":true,"statusCode":201,"data":{"id":"x"}})");
  CHECK(seed004::success(200, "") == R"({"success":true,"statusCode":200,"data":null})");
  const std::string problem =
      R"({"type":"about:blank","title":"Bad Request","status":400,"detail":"The product has invalid fields.",)"
      R"("instance":"/api/products","requestId":"r1","errors":[{"field":"price","message":"at most 2 decimals"}]})";
  CHECK(seed004::failure(400, problem, "/api/v1/products", "2026-01-01T00:00:00.000000Z") ==
        R"({"success":false,"statusCode":400,"timestamp":"2026-01-01T00:00:00.000000Z","path":"/api/v1/products",)"
        R"("error":"The product has invalid fields.","errors":[{"field":"price","message":"at most 2 decimals"}],)"
        R"("requestId":"r1"})");
  CHECK(seed004::failure(502, "<html>bad gateway</html>", "/api/v1/cart", "t") ==
        R"({"success":false,"statusCode":502,"timestamp":"t","path":"/api/v1/cart","error":"Bad Gateway"})");
}

TEST_CASE("seed 004: login answers accessToken and the user", "[gateway]") {
  CHECK(seed004::login(R"({"access_token":"a.b.c","token_type":"bearer","expires_in":900,"refresh_token":"r",)"
                       R"("user":{"id":"u","role":"USER"}})") ==
        R"({"accessToken":"a.b.c","refreshToken":"r","tokenType":"bearer","expiresIn":900,)"
        R"("user":{"id":"u","role":"USER"}})");
}

TEST_CASE("seed 004: products in and out, pages as {data, total, page, limit}", "[gateway]") {
  CHECK(seed004::product_from_seed(R"({"name":"NestJS book","description":"d","price":49.99,"stock":100,)"
                                   R"("sellerId":1,"images":[{"url":"https://example.com/b.jpg","index":0}]})") ==
        R"({"name":"NestJS book","description":"d","price":49.99,"stock":100,"imageUrl":"https://example.com/b.jpg"})");
  CHECK(seed004::product_from_seed(R"({"price":59.99,"stock":90})") == R"({"price":59.99,"stock":90})");
  CHECK(seed004::product_from_seed(R"({"name":"x","images":["https://example.com/a.png"]})") ==
        R"({"name":"x","imageUrl":"https://example.com/a.png"})");
  const std::string seed_product = R"({"id":")" + kId + R"(","sku":"S-1","name":"NestJS book","price":59.99,)"
                                   R"("imageUrl":"https://example.com/b.jpg","stock":90,"attributes":{},)"
                                   R"("images":[{"url":"https://example.com/b.jpg","index":0}]})";
  CHECK(seed004::seed_product(kProduct) == seed_product);
  CHECK(seed004::products_page(R"({"items":[)" + kProduct + R"(],"page":1,"limit":5,"total":1})") ==
        R"({"data":[)" + seed_product + R"(],"total":1,"page":1,"limit":5})");
  CHECK(seed004::users(R"({"items":[{"id":"u"}],"page":1,"limit":20,"total":1})") == R"([{"id":"u"}])");
}

TEST_CASE("seed 004: cart lines and orders in, its cart and order out", "[gateway]") {
  CHECK(seed004::cart_item_from_seed(R"({"productId": )" + kId + R"(, "name": "x", "price": 1, "quantity": 2})") ==
        R"({"productId":")" + kId + R"(","quantity":2})");
  CHECK(seed004::seed_cart(R"({"items":[{"productId":"p","name":"x","price":59.99,"quantity":2,"subtotal":119.98},)"
                           R"({"productId":"q","name":"y","price":1,"quantity":1,"subtotal":1}],"total":120.98})",
                           "u1") ==
        R"({"userId":"u1","items":[{"productId":"p","name":"x","price":59.99,"quantity":2,"subtotal":119.98},)"
        R"({"productId":"q","name":"y","price":1,"quantity":1,"subtotal":1}],"totalPrice":120.98,"totalItems":3,)"
        R"("total":120.98})");
  CHECK(seed004::order_from_seed(R"({"products": [{"productId": )" + kId + R"(, "quantity": 1}]})") ==
        R"({"items":[{"productId":")" + kId + R"(","quantity":1}]})");
  try {
    seed004::order_from_seed(R"({"quantity":1})");
    FAIL("no error");
  } catch (const core::DomainError& e) {
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].field == "products");
  }
  CHECK(seed004::seed_order(R"({"id":"o","items":[{"productId":"p","productName":"x","unitPrice":59.99,"quantity":1,)"
                            R"("subtotal":59.99}],"totalAmount":59.99,"status":"PENDING"})") ==
        R"({"id":"o","items":[{"productId":"p","productName":"x","unitPrice":59.99,"quantity":1,"subtotal":59.99,)"
        R"("price":59.99,"name":"x"}],"totalAmount":59.99,"status":"PENDING","totalPrice":59.99})");
}
