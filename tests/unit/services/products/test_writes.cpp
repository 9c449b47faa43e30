// Catalog writes: product and category bodies, exact prices from the literal number text, mass
// assignment, stock changes, and the internal batch lookup's id list and its client-side parser.
#include <catch2/catch.hpp>

#include "../rejected.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/products/catalog.hpp"
#include "shopmesh/products/catalog_client.hpp"
#include "shopmesh/products/stock_client.hpp"

using namespace shopmesh;

using shopmesh::testing::Fields;
using shopmesh::testing::rejected;

TEST_CASE("products: a new product is read with an exact price and defaults", "[products]") {
  auto p = products::parse_new_product(
      R"({"sku":" MUG-1 ","name":" Coffee mug ","price":19.99,"description":"Blue","category":"Kitchen",)"
      R"("imageUrl":"https://img.example/mug.png","initialStock":12})");
  CHECK(p.fields.sku == "MUG-1");
  CHECK(p.fields.name == "Coffee mug");
  CHECK(p.fields.price.value == 1999);
  CHECK(p.fields.description == "Blue");
  CHECK(*p.fields.category == "Kitchen");
  CHECK(*p.fields.image_url == "https://img.example/mug.png");
  CHECK(p.fields.active);
  CHECK(p.initial_stock == 12);

  auto minimal = products::parse_new_product(R"({"sku":"A","name":"B","price":0})");
  CHECK(minimal.fields.price.value == 0);
  CHECK_FALSE(minimal.fields.category);
  CHECK_FALSE(minimal.fields.image_url);
  CHECK(minimal.initial_stock == 0);
  // Amounts that binary floating point cannot hold exactly are still exact in cents.
  CHECK(products::parse_new_product(R"({"sku":"A","name":"B","price":0.29})").fields.price.value == 29);
  CHECK(products::parse_new_product(R"({"sku":"A","name":"B","price":1.10})").fields.price.value == 110);
  CHECK(products::parse_new_product(R"({"sku":"A","name":"B","price":1.5})").fields.price.value == 150);
}

TEST_CASE("products: bad prices are 400 naming price", "[products]") {
  for (const char* price : {"19.999", "-1", "-0.01", "\"19.99\"", "1e2", "null", "true", "10000000.01"}) {
    INFO(price);
    auto [status, fields] =
        rejected([&] { products::parse_new_product(std::string(R"({"sku":"A","name":"B","price":)") + price + "}"); });
    CHECK(status == 400);
    CHECK(fields == Fields{"price"});
  }
  std::string problem;
  CHECK_FALSE(products::parse_price_literal("-5", problem));
  CHECK(problem == "must not be negative");
  CHECK(products::parse_price_literal("10000000.00", problem)->value == 1'000'000'000);
  CHECK(products::parse_price_literal("19.990", problem)->value == 1999);  // trailing zeros are still 2 decimals
}

TEST_CASE("products: every bad field is named at once", "[products]") {
  auto [status, fields] = rejected([] {
    products::parse_new_product(
        R"({"sku":"has space","name":"","price":1,"imageUrl":"ftp://x","active":"yes","initialStock":-1,"category":"!!"})");
  });
  CHECK(status == 400);
  CHECK(fields == Fields{"sku", "name", "category", "imageUrl", "active", "initialStock"});
  auto missing = rejected([] { products::parse_new_product("{}"); });
  CHECK(missing.second == Fields{"name", "price"});  // sku is optional (generated)
  CHECK(rejected([] { products::parse_new_product("[]"); }).first == 400);
  CHECK(rejected([] { products::parse_new_product("{\"sku\":"); }).first == 400);
  CHECK(rejected([] {
          products::parse_new_product(R"({"sku":"A","name":"B","price":1,"initialStock":1.5})");
        }).second == Fields{"initialStock"});
}

TEST_CASE("products: id and timestamps in a body are ignored (mass assignment), initialStock wins over stock",
          "[products]") {
  auto p = products::parse_new_product(
      R"({"id":"0190a3c2-7b1e-7c3d-8e4f-123456789abc","sku":"A","name":"B","price":1,"stock":999,)"
      R"("initialStock":3,"createdAt":"2000-01-01T00:00:00Z","updatedAt":"x"})");
  CHECK(p.initial_stock == 3);
  auto r = products::parse_product_replacement(R"({"sku":"A","name":"B","price":2.5,"stock":5,"initialStock":7})");
  CHECK(r.fields.price.value == 250);
  CHECK(r.stock == 5);  // a level to set at the stock service
}

TEST_CASE("products: seed 001's product bodies: no sku, stock as the level", "[products]") {
  auto p = products::parse_new_product(
      R"({"name":"Laptop","description":"Fast","price":999.99,"category":"Electronics","stock":50})");
  CHECK(p.initial_stock == 50);
  CHECK(p.fields.sku.rfind("SKU-", 0) == 0);
  CHECK(p.fields.sku.size() == 16);
  CHECK(p.fields.sku != products::parse_new_product(R"({"name":"Laptop","price":1})").fields.sku);
  CHECK(products::parse_new_product(R"({"name":"Laptop","price":1,"sku":null})").fields.sku.rfind("SKU-", 0) == 0);
  auto r = products::parse_product_replacement(R"({"name":"Laptop","price":899.99,"stock":40})");
  CHECK(r.fields.sku.empty());  // kept from the current product
  CHECK(r.stock == 40);
  CHECK(products::parse_product_patch(R"({"stock":7})").stock == 7);
  CHECK(rejected([] { products::parse_new_product(R"({"name":"L","price":1,"stock":-1})"); }).second ==
        Fields{"stock"});
  CHECK(rejected([] { products::parse_product_patch(R"({"stock":"many"})"); }).second == Fields{"stock"});
}

TEST_CASE("products: a patch changes only what it names, null clears category and image", "[products]") {
  products::Product current;
  current.sku = "OLD";
  current.name = "Old name";
  current.description = "desc";
  current.price = core::Cents{500};
  current.category = "Kitchen";
  current.image_url = "https://img/x";
  current.active = true;

  auto patch = products::parse_product_patch(R"({"name":"New","category":null,"active":false,"stock":3})");
  auto f = products::apply_patch(current, patch);
  CHECK(f.sku == "OLD");
  CHECK(f.name == "New");
  CHECK(f.description == "desc");
  CHECK(f.price.value == 500);
  CHECK_FALSE(f.category);
  CHECK(*f.image_url == "https://img/x");
  CHECK_FALSE(f.active);

  auto priced = products::apply_patch(current, products::parse_product_patch(R"({"price":7.05})"));
  CHECK(priced.price.value == 705);
  CHECK(*priced.category == "Kitchen");
  CHECK(rejected([] { products::parse_product_patch(R"({"name":null,"price":-3,"sku":""})"); }).second ==
        Fields{"sku", "name", "price"});
}

TEST_CASE("products: categories get a slug from their name", "[products]") {
  CHECK(products::slugify("Home & Garden") == "home-garden");
  CHECK(products::slugify("  Books  ") == "books");
  CHECK(products::slugify("--A--b--") == "a-b");
  CHECK(products::slugify("!!!").empty());
  CHECK(products::is_slug("home-garden"));
  CHECK_FALSE(products::is_slug("Home-Garden"));
  CHECK_FALSE(products::is_slug("a--b"));
  CHECK(products::slugify(std::string(100, 'x')).size() == 64);

  auto c = products::parse_new_category(R"({"name":"Home & Garden","description":"Outdoor"})");
  CHECK(c.name == "Home & Garden");
  CHECK(c.slug == "home-garden");
  CHECK(c.description == "Outdoor");
  CHECK(products::parse_new_category(R"({"name":"Books","slug":"reading"})").slug == "reading");
  CHECK(rejected([] { products::parse_new_category(R"({"name":"X","slug":"Not A Slug"})"); }).second == Fields{"slug"});
  CHECK(rejected([] { products::parse_new_category(R"({"description":"x"})"); }).second == Fields{"name"});
  CHECK(rejected([] { products::parse_new_category(R"({"name":"???"})"); }).second == Fields{"name"});
}

TEST_CASE("products: a stock change is exactly one of delta (or quantity) and set (or stock)", "[products]") {
  CHECK(*products::parse_stock_change(R"({"delta":-3})").delta == -3);
  CHECK(*products::parse_stock_change(R"({"set":0})").set == 0);
  CHECK(products::stock_change_json(products::parse_stock_change(R"({"delta":5})")) == R"({"delta":5})");
  CHECK(products::stock_change_json(products::parse_stock_change(R"({"set":12})")) == R"({"set":12})");
  CHECK(rejected([] { products::parse_stock_change(R"({"delta":1,"set":1})"); }).second == Fields{"set"});
  CHECK(rejected([] { products::parse_stock_change("{}"); }).second == Fields{"delta"});
  CHECK(rejected([] { products::parse_stock_change(R"({"delta":0})"); }).second == Fields{"delta"});
  CHECK(rejected([] { products::parse_stock_change(R"({"delta":1.5})"); }).second == Fields{"delta"});
  CHECK(rejected([] { products::parse_stock_change(R"({"set":-1})"); }).second == Fields{"set"});
  CHECK(rejected([] { products::parse_stock_change(R"({"set":"4"})"); }).second == Fields{"set"});
  // Seed 001: {"quantity": n} is added like delta; {"stock": n} is the level.
  CHECK(*products::parse_stock_change(R"({"quantity":-2})").delta == -2);
  CHECK(*products::parse_stock_change(R"({"stock":9})").set == 9);
  CHECK(rejected([] { products::parse_stock_change(R"({"quantity":1,"delta":1})"); }).second == Fields{"set"});
  CHECK(rejected([] { products::parse_stock_change(R"({"quantity":0})"); }).second == Fields{"quantity"});
}

TEST_CASE("products: the internal batch lookup takes 1-100 UUIDs", "[products]") {
  auto ids = products::parse_id_list(
      "0190A3C2-7B1E-7C3D-8E4F-123456789ABC, 0190a3c2-7b1e-7c3d-8e4f-123456789abc,,"
      "0190a3c2-7b1e-7c3d-8e4f-000000000001");
  CHECK(ids ==
        std::vector<std::string>{"0190a3c2-7b1e-7c3d-8e4f-123456789abc", "0190a3c2-7b1e-7c3d-8e4f-000000000001"});
  CHECK(rejected([] { products::parse_id_list(""); }).second == Fields{"ids"});
  CHECK(rejected([] { products::parse_id_list("1,2"); }).second == Fields{"ids"});
  std::string many;
  for (int i = 0; i < 101; ++i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "0190a3c2-7b1e-7c3d-8e4f-%012d", i);
    many += std::string(i ? "," : "") + buf;
  }
  CHECK(rejected([&] { products::parse_id_list(many); }).second == Fields{"ids"});
}

TEST_CASE("products: the catalog client reads prices exactly and keys by id", "[products]") {
  products::Product p;
  p.id = "0190a3c2-7b1e-7c3d-8e4f-123456789abc";
  p.sku = "S";
  p.name = "Mug \"blue\"";
  p.price = core::Cents{1999};
  p.stock = 4;
  p.active = false;
  std::map<std::string, products::client::CatalogProduct> out;
  REQUIRE(products::client::parse_catalog_items(products::items_json({p}), out));
  REQUIRE(out.count(p.id) == 1);
  const auto& c = out.at(p.id);
  CHECK(c.name == "Mug \"blue\"");
  CHECK(c.price.value == 1999);
  CHECK(c.stock == 4);
  CHECK_FALSE(c.active);
  CHECK_FALSE(products::client::parse_catalog_items(R"({"items":[{"id":"x"}]})", out));
  CHECK_FALSE(products::client::parse_catalog_items("nope", out));
}

TEST_CASE("products: list query rejects unknown sort and bad category text", "[products]") {
  auto q = products::parse_list_query([](std::string_view name) -> std::optional<std::string> {
    if (name == "category") return std::string("  Kitchen ");
    if (name == "q") return std::string("   ");
    return std::nullopt;
  });
  CHECK(*q.category == "Kitchen");
  CHECK_FALSE(q.text);  // a blank search is no search
  auto paging = products::parse_paging([](std::string_view) { return std::nullopt; }, 100);
  CHECK(paging.limit == 100);
}

TEST_CASE("products: an unreachable stock service is a 503 (core::Unavailable)", "[products]") {
  const core::MeshAuth mesh("products", {"0123456789abcdef0123456789abcdef"});
  products::StockClient stock("http://127.0.0.1:1", std::chrono::milliseconds(500), mesh);
  CHECK_THROWS_AS(
      stock.adjust("0190a3c2-7b1e-7c3d-8e4f-123456789abc", products::parse_stock_change(R"({"delta":1})"), {"rid", ""}),
      core::Unavailable);
}

TEST_CASE("products: hostile bodies (deep nesting, lone surrogates, bytes that are not UTF-8) are 400s",
          "[products][hostile]") {
  // Deep nesting inside an object reaches the second (number-literal) parse too: neither may recurse.
  const std::string deep = R"({"sku":"A","name":"B","price":1,"x":)" + std::string(300'000, '[') +
                           std::string(300'000, ']') + "}";
  CHECK(products::parse_new_product(deep).fields.name == "B");
  CHECK(rejected([] { products::parse_new_product(std::string(300'000, '[')); }).first == 400);
  CHECK(rejected([] { products::parse_new_product(R"({"sku":"A","name":"\udcff","price":1})"); }).first == 400);
  CHECK(rejected([] { products::parse_new_product("{\"sku\":\"A\",\"name\":\"\xff\",\"price\":1}"); }).first == 400);
}

TEST_CASE("products: attributes are a small flat map of strings", "[products]") {
  auto p = products::parse_new_product(
      R"({"name":"Dune","price":9.99,"category":"Books","attributes":{"author":"  Frank Herbert ","isbn_13":"978"}})");
  CHECK(p.fields.attributes == products::Attributes{{"author", "Frank Herbert"}, {"isbn_13", "978"}});
  CHECK(products::parse_new_product(R"({"name":"A","price":1})").fields.attributes.empty());
  auto patch = products::parse_product_patch(R"({"attributes":null})");
  REQUIRE(patch.attributes);
  CHECK(patch.attributes->empty());
  CHECK_FALSE(products::parse_product_patch(R"({"name":"x"})").attributes);
  products::Product current;
  current.attributes = {{"author", "A"}};
  CHECK(products::apply_patch(current, products::parse_product_patch(R"({"name":"B"})")).attributes ==
        current.attributes);
  CHECK(products::apply_patch(current, *&patch).attributes.empty());
  CHECK(rejected([] { products::parse_new_product(R"({"name":"A","price":1,"attributes":["x"]})"); }).second ==
        Fields{"attributes"});
  CHECK(rejected([] { products::parse_new_product(R"({"name":"A","price":1,"attributes":{"1x":"v"}})"); }).second ==
        Fields{"attributes.1x"});
  CHECK(rejected([] { products::parse_new_product(R"({"name":"A","price":1,"attributes":{"n":3}})"); }).second ==
        Fields{"attributes.n"});
  std::string many = R"({"name":"A","price":1,"attributes":{)";
  for (int i = 0; i < 21; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  many += "}}";
  CHECK(rejected([&] { products::parse_new_product(many); }).second == Fields{"attributes"});
}
