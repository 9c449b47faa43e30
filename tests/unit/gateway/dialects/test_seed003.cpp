// Seed 003's dialect (gateway/src/dialects/seed003.cpp): its books and orders, in and out.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/gateway/dialects/seed003.hpp"

using namespace shopmesh::gateway;
namespace core = shopmesh::core;

namespace {

// The field errors a transform throws for a body.
std::vector<std::string> fields_at_fault(const std::function<void()>& transform) {
  try {
    transform();
  } catch (const core::DomainError& e) {
    CHECK(e.fault() == core::Fault::invalid);
    std::vector<std::string> fields;
    for (const auto& error : e.errors()) fields.push_back(error.field);
    return fields;
  }
  FAIL("no error");
  return {};
}

const std::string kProduct =
    R"({"id":"0190a0f0-0000-7000-8000-000000000001","sku":"SKU-1","name":"Dune","description":"",)"
    R"("price":19.99,"currency":"USD","category":"Books","imageUrl":null,"stock":7,"active":true,)"
    R"("attributes":{"author":"Frank Herbert"},"createdAt":"2026-01-01T00:00:00.000Z"})";

const std::string kOrder =
    R"({"id":"o1","userId":"u1","items":[{"productId":"b1","productName":"Dune","unitPrice":19.99,"quantity":2,)"
    R"("subtotal":39.98},{"productId":"b2","productName":"Emma","unitPrice":5,"quantity":1,"subtotal":5}],)"
    R"("totalAmount":44.98,"currency":"USD","status":"CONFIRMED","createdAt":"2026-01-01T00:00:00.000Z"})";

}  // namespace

TEST_CASE("seed 003: GET /books' page and size become the catalog's category Books, page and limit", "[gateway]") {
  CHECK(seed003::books_query("") == "?category=Books&limit=50");  // fastapi-pagination's default size
  CHECK(seed003::books_query("?page=2&size=10") == "?category=Books&page=2&limit=10");
  CHECK(seed003::books_query("?size=5&q=dune") == "?category=Books&limit=5&q=dune");
  CHECK(seed003::books_query("?category=Lamps&page=1") == "?category=Books&page=1&limit=50");
  CHECK(seed003::books_query("?limit=3&&") == "?category=Books&limit=3");
}

TEST_CASE("seed 003: a book in is a product in category Books with its author as an attribute", "[gateway]") {
  CHECK(seed003::product_from_book(R"({"title":"Dune","author":"Frank Herbert","price":19.99,"stock":7})", true) ==
        R"({"name":"Dune","price":19.99,"stock":7,"category":"Books","attributes":{"author":"Frank Herbert"}})");
  // PUT is partial (BookUpdate): only what is sent, null leaves a field as it is.
  CHECK(seed003::product_from_book(R"({"price":12.5,"title":null})", false) == R"({"price":12.5})");
  CHECK(seed003::product_from_book(R"({"author":"F. H."})", false) == R"({"attributes":{"author":"F. H."}})");
  CHECK(fields_at_fault([] { seed003::product_from_book(R"({"title":"Dune"})", true); }) ==
        std::vector<std::string>{"author", "price", "stock"});
  CHECK(fields_at_fault([] {
          seed003::product_from_book(R"({"title":1,"author":"A","price":"9","stock":1.5})", true);
        }) == std::vector<std::string>{"title", "price", "stock"});
  CHECK(fields_at_fault([] { seed003::product_from_book("[1]", true); }) == std::vector<std::string>{"body"});
  const std::string deep = R"({"title":)" + std::string(40, '[') + "1" + std::string(40, ']') + "}";
  CHECK(fields_at_fault([&] { seed003::product_from_book(deep, false); }) ==
        std::vector<std::string>{"body"});  // nested deeper than any book
}

TEST_CASE("seed 003: a product out is a book, a catalog page is fastapi-pagination's page", "[gateway]") {
  CHECK(seed003::book_from_product(kProduct) == R"({"id":"0190a0f0-0000-7000-8000-000000000001","title":"Dune",)"
                                                R"("author":"Frank Herbert","price":19.99,"stock":7})");
  CHECK(seed003::book_from_product(R"({"id":"x","name":"Lamp","price":5,"stock":0,"attributes":{}})") ==
        R"({"id":"x","title":"Lamp","author":"","price":5,"stock":0})");
  CHECK(seed003::books_page(R"({"items":[)" + kProduct + R"(],"page":2,"limit":1,"total":3})") ==
        R"({"items":[{"id":"0190a0f0-0000-7000-8000-000000000001","title":"Dune","author":"Frank Herbert",)"
        R"("price":19.99,"stock":7}],"total":3,"page":2,"size":1,"pages":3})");
  CHECK(seed003::books_page(R"({"items":[],"page":1,"limit":50,"total":0})") ==
        R"({"items":[],"total":0,"page":1,"size":50,"pages":0})");
  CHECK_THROWS(seed003::books_page("not json"));
}

TEST_CASE("seed 003: an order of a book in, Shopmesh's order out in seed 003's shape", "[gateway]") {
  CHECK(seed003::order_from_seed(R"({"book_id":"b1","quantity":2})") ==
        R"({"items":[{"productId":"b1","quantity":2}]})");
  CHECK(fields_at_fault([] { seed003::order_from_seed("{}"); }) ==
        std::vector<std::string>{"book_id", "quantity"});
  CHECK(fields_at_fault([] { seed003::order_from_seed(R"({"book_id":7,"quantity":"2"})"); }) ==
        std::vector<std::string>{"book_id", "quantity"});
  const std::string seed =
      R"({"id":"o1","user_id":"u1","book_id":"b1","quantity":3,"total_price":44.98,"status":"confirmed",)"
      R"("created_at":"2026-01-01T00:00:00.000Z"})";
  CHECK(seed003::seed_order(kOrder) == seed);
  CHECK(seed003::seed_orders(R"({"items":[)" + kOrder + R"(],"page":1,"limit":100,"total":1})") == "[" + seed + "]");
  CHECK(seed003::seed_orders(R"({"items":[],"page":1,"limit":100,"total":0})") == "[]");
}
