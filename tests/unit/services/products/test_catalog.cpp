#include <catch2/catch.hpp>
#include <map>

#include "shopmesh/core/http.hpp"
#include "shopmesh/products/catalog.hpp"

using namespace shopmesh;

namespace {
products::ListQuery parse(std::map<std::string, std::string> params) {
  return products::parse_list_query([&](std::string_view name) -> std::optional<std::string> {
    auto it = params.find(std::string(name));
    if (it == params.end()) return std::nullopt;
    return it->second;
  });
}
}  // namespace

TEST_CASE("products: list query defaults and parsing", "[products]") {
  auto q = parse({});
  CHECK(q.page == 1);
  CHECK(q.limit == 20);
  auto f = parse({{"page", "3"}, {"limit", "100"}, {"minPrice", "10.5"}, {"sort", "-price"}, {"inStock", "true"}});
  CHECK(f.page == 3);
  CHECK(f.limit == 100);
  CHECK(f.min_price->value == 1050);
  CHECK(f.sort == products::SortOrder::price_desc);
  CHECK(*f.in_stock);
}

TEST_CASE("products: every bad list parameter is named", "[products]") {
  try {
    parse({{"limit", "101"}, {"page", "0"}, {"minPrice", "1.001"}, {"sort", "price; DROP TABLE"}});
    FAIL("expected DomainError");
  } catch (const core::DomainError& e) {
    CHECK(core::status_of(e.fault()) == 400);
    std::vector<std::string> fields;
    for (const auto& err : e.errors()) fields.push_back(err.field);
    CHECK(fields == std::vector<std::string>{"page", "limit", "minPrice", "sort"});
  }
}

TEST_CASE("products: prices are written as exact two-decimal numbers", "[products]") {
  products::Product p;
  p.id = "0190a3c2-7b1e-7c3d-8e4f-123456789abc";
  p.price = core::Cents{1999};
  auto json = products::product_json(p);
  CHECK(json.find("\"price\":19.99") != std::string::npos);
  CHECK(json.find("\"category\":null") != std::string::npos);
}
