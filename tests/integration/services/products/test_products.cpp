// The products service on the real stack: catalog writes by administrators with their events in
// the outbox and on catalog.events, search/filter/sort/paging (directly and through the gateway),
// soft deletion, categories, stock changes forwarded to the stock service, and the internal batch
// lookup used by cart and orders.
#include <catch2/catch.hpp>

#include "../orders/commerce_kit.hpp"
#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

using namespace shopmesh::testing::commerce;

namespace {

std::string url(const std::string& path = "") {
  return products_url() + "/api/products" + path;
}

std::vector<std::string> ids_of(const core::HttpResult& r) {
  auto d = kit::json(r.body);
  std::vector<std::string> ids;
  if (d.IsObject() && d.HasMember("items"))
    for (const auto& item : d["items"].GetArray()) ids.push_back(kit::str(item, "id"));
  return ids;
}

std::string field_of(const core::HttpResult& r) {
  auto d = kit::json(r.body);
  if (!d.IsObject() || !d.HasMember("errors") || d["errors"].Empty()) return {};
  return kit::str(d["errors"][0], "field");
}

}  // namespace

TEST_CASE("products: an admin creates a product, PRODUCT_CREATED goes out with it", "[products]") {
  const std::string sku = "IT-" + core::uuid_v7().substr(19);
  const std::string body = R"({"sku":")" + sku +
                           R"(","name":"Blue mug","description":"Holds coffee","price":19.99,)"
                           R"("category":"Kitchen )" +
                           token() +
                           R"(","imageUrl":"https://img.example/mug.png",)"
                           R"("initialStock":7,"stock":999,"id":"0190a3c2-7b1e-7c3d-8e4f-123456789abc"})";
  auto r = kit::http("POST", url(), body, admin());
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto p = kit::json(r.body);
  const std::string id = kit::str(p, "id");
  CHECK(core::is_uuid(id));
  CHECK(id != "0190a3c2-7b1e-7c3d-8e4f-123456789abc");  // ignored, like stock
  CHECK(r.header("location") == "/api/products/" + id);
  CHECK(r.body.find("\"price\":19.99") != std::string::npos);
  CHECK(p["stock"].GetInt64() == 7);
  CHECK(p["active"].GetBool());
  CHECK(kit::str(p, "sku") == sku);
  CHECK(kit::str(p, "imageUrl") == "https://img.example/mug.png");
  CHECK_FALSE(kit::str(p, "createdAt").empty());

  auto got = kit::http("GET", url("/" + id));
  REQUIRE(got.status == 200);
  CHECK(kit::str(kit::json(got.body), "name") == "Blue mug");

  // The event was committed with the product (everything the service committed by now is on
  // catalog.events), once.
  auto published_now = published("DATABASE_URL_PRODUCTS", events::topic::catalog, id);
  REQUIRE(count_type(published_now, "PRODUCT_CREATED") == 1);
  auto created = first_published(events::topic::catalog, id, "PRODUCT_CREATED", 20s);
  REQUIRE(created);
  CHECK(created->producer == "products");
  auto event = contracts::from_json_text<contracts::ProductCreatedV1>(created->data);
  INFO(contracts::describe(event.errors));
  REQUIRE(event.ok());
  CHECK(event.value->product_id.value == id);
  CHECK(event.value->price.value == 1999);
  CHECK(event.value->stock == 7);
  CHECK(event.value->sku == sku);

  // The same SKU again is a conflict.
  auto again = kit::http("POST", url(), R"({"sku":")" + sku + R"(","name":"Other","price":1})", admin());
  CHECK(again.status == 409);
  CHECK(again.header("content-type") == "application/problem+json");
}

TEST_CASE("products: writes need an administrator, bad fields are named", "[products]") {
  const std::string body = R"({"sku":"IT-AUTH","name":"X","price":1})";
  CHECK(kit::http("POST", url(), body).status == 401);
  CHECK(kit::http("POST", url(), body, kit::as_user(core::uuid_v7())).status == 403);
  const std::string id = create_product_id();
  CHECK(kit::http("PATCH", url("/" + id), R"({"name":"Y"})", kit::as_user(core::uuid_v7())).status == 403);
  CHECK(kit::http("DELETE", url("/" + id), "", kit::as_user(core::uuid_v7())).status == 403);
  CHECK(kit::http("PATCH", url("/" + id + "/stock"), R"({"delta":1})").status == 401);
  CHECK(
      kit::http("POST", products_url() + "/api/categories", R"({"name":"X"})", kit::as_user(core::uuid_v7())).status ==
      403);

  for (const char* price : {"19.999", "-1", "\"5\""}) {
    INFO(price);
    auto r = kit::http("POST", url(), std::string(R"({"sku":"IT-P","name":"X","price":)") + price + "}", admin());
    CHECK(r.status == 400);
    CHECK(field_of(r) == "price");
  }
  auto bad = kit::http("POST", url(), "{not json", admin());
  CHECK(bad.status == 400);
  CHECK(kit::http("GET", url("/not-a-uuid")).status == 404);
  CHECK(kit::http("GET", url("/" + core::uuid_v7())).status == 404);
}

TEST_CASE("products: full-text search, filters, sorting and paging", "[products]") {
  const std::string word = token();
  const std::string category = "Cat " + token();
  const std::string cheap = create_product_id({"Alpha " + word, "first", "5.00", category, 3});
  const std::string mid = create_product_id({"Bravo", "the " + word + " one", "12.50", category, 0});
  const std::string dear = create_product_id({"Charlie " + word, "third", "99.99", "", 1});

  auto list = [&](const std::string& query) {
    auto r = kit::http("GET", url("?q=" + word + query));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r;
  };
  auto all = kit::json(list("").body);
  CHECK(all["total"].GetInt() == 3);
  CHECK(all["page"].GetInt() == 1);
  CHECK(all["limit"].GetInt() == 20);
  CHECK(ids_of(list("&sort=price")) == std::vector<std::string>{cheap, mid, dear});
  CHECK(ids_of(list("&sort=-price")) == std::vector<std::string>{dear, mid, cheap});
  CHECK(ids_of(list("&sort=name")) == std::vector<std::string>{cheap, mid, dear});
  CHECK(ids_of(list("&sort=-createdAt")) == std::vector<std::string>{dear, mid, cheap});
  CHECK(ids_of(list("&minPrice=5.01&maxPrice=99.99&sort=price")) == std::vector<std::string>{mid, dear});
  CHECK(ids_of(list("&inStock=true&sort=price")) == std::vector<std::string>{cheap, dear});
  CHECK(ids_of(list("&inStock=false")) == std::vector<std::string>{mid});
  CHECK(ids_of(list("&category=" + category.substr(0, 3) + "%20" + category.substr(4) + "&sort=price")) ==
        std::vector<std::string>{cheap, mid});
  auto page2 = list("&sort=price&limit=2&page=2");
  CHECK(ids_of(page2) == std::vector<std::string>{dear});
  CHECK(kit::json(page2.body)["total"].GetInt() == 3);
  CHECK(kit::http("GET", url("?limit=101")).status == 400);
  CHECK(kit::http("GET", url("?sort=price;drop")).status == 400);

  // The same search through the gateway (a public route, no token).
  auto via_gateway = kit::http("GET", gateway_url() + "/api/products?q=" + word + "&sort=price");
  INFO(via_gateway.body);
  REQUIRE(via_gateway.status == 200);
  CHECK(ids_of(via_gateway) == std::vector<std::string>{cheap, mid, dear});
  CHECK(kit::http("GET", gateway_url() + "/api/products/" + cheap).status == 200);
}

TEST_CASE("products: PUT replaces, PATCH updates, inactive products leave lists but stay readable", "[products]") {
  const std::string word = token();
  const std::string id = create_product_id({"Lamp " + word, "warm light", "30.00", "", 5});
  auto put =
      kit::http("PUT", url("/" + id),
                R"({"sku":"IT-PUT-)" + word + R"(","name":"Lamp )" + word + R"(","price":31.5,"stock":3})", admin());
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto replaced = kit::json(put.body);
  CHECK(put.body.find("\"price\":31.50") != std::string::npos);
  CHECK(kit::str(replaced, "description").empty());  // replaced: absent fields take their defaults
  // `stock` (seed 001) is set at the stock service, which owns levels: both agree afterwards.
  CHECK(replaced["stock"].GetInt64() == 3);
  CHECK(kit::json(kit::http("GET", stack_var("STOCK_URL") + "/internal/stock/" + id).body)["available"].GetInt64() == 3);
  // A PUT without sku keeps the product's sku.
  auto keep = kit::http("PUT", url("/" + id), R"({"name":"Lamp )" + word + R"(","price":31.5})", admin());
  REQUIRE(keep.status == 200);
  CHECK(kit::str(kit::json(keep.body), "sku") == "IT-PUT-" + word);
  CHECK(kit::json(keep.body)["stock"].GetInt64() == 3);  // no stock given: the level stays

  auto patch = kit::http("PATCH", url("/" + id), R"({"active":false,"imageUrl":"http://img/x.png"})", admin());
  REQUIRE(patch.status == 200);
  auto patched = kit::json(patch.body);
  CHECK_FALSE(patched["active"].GetBool());
  CHECK(kit::str(patched, "sku") == "IT-PUT-" + word);
  CHECK(kit::str(patched, "imageUrl") == "http://img/x.png");
  CHECK(count_type(published("DATABASE_URL_PRODUCTS", events::topic::catalog, id), "PRODUCT_UPDATED") == 3);  // PUT, PUT, PATCH

  CHECK(kit::json(kit::http("GET", url("?q=" + word)).body)["total"].GetInt() == 0);
  auto inactive = kit::http("GET", url("/" + id));
  REQUIRE(inactive.status == 200);
  CHECK_FALSE(kit::json(inactive.body)["active"].GetBool());

  CHECK(kit::http("PATCH", url("/" + id), R"({"price":1.001})", admin()).status == 400);
  CHECK(kit::http("PATCH", url("/" + core::uuid_v7()), R"({"name":"x"})", admin()).status == 404);
  const std::string other = create_product_id();
  const std::string other_sku = kit::str(kit::json(kit::http("GET", url("/" + other)).body), "sku");
  CHECK(kit::http("PATCH", url("/" + id), R"({"sku":")" + other_sku + "\"}", admin()).status == 409);
}

TEST_CASE("products: soft delete hides the product and frees its SKU, PRODUCT_DELETED goes out", "[products]") {
  const std::string word = token();
  auto created = create_product({"Vase " + word});
  const std::string id = kit::str(created, "id");
  const std::string sku = kit::str(created, "sku");
  CHECK(kit::http("DELETE", url("/" + id), "", admin()).status == 204);
  CHECK(kit::http("GET", url("/" + id)).status == 404);
  CHECK(kit::http("GET", gateway_url() + "/api/products/" + id).status == 404);
  CHECK(kit::json(kit::http("GET", url("?q=" + word)).body)["total"].GetInt() == 0);
  CHECK(kit::http("DELETE", url("/" + id), "", admin()).status == 404);
  CHECK(kit::http("PATCH", url("/" + id), R"({"name":"back"})", admin()).status == 404);
  CHECK(count_type(published("DATABASE_URL_PRODUCTS", events::topic::catalog, id), "PRODUCT_DELETED") == 1);
  CHECK(kit::http("POST", url(), R"({"sku":")" + sku + R"(","name":"Reborn","price":2})", admin()).status == 201);
}

TEST_CASE("categories: created by admins, listed publicly, registered on first use by a product", "[products]") {
  const std::string name = "Garden " + token();
  auto r = kit::http("POST", products_url() + "/api/categories",
                     R"({"name":")" + name + R"(","description":"Outdoor things"})", admin());
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto c = kit::json(r.body);
  CHECK(kit::str(c, "name") == name);
  const std::string slug = kit::str(c, "slug");
  CHECK(slug.rfind("garden-", 0) == 0);
  CHECK(kit::http("POST", products_url() + "/api/categories", R"({"name":")" + name + "\"}", admin()).status == 409);
  CHECK(kit::http("POST", products_url() + "/api/categories", R"({"name":"Other","slug":")" + slug + "\"}", admin())
            .status == 409);
  CHECK(kit::http("POST", products_url() + "/api/categories", R"({"slug":"x"})", admin()).status == 400);

  // A product filed under the slug is filed under the category's name; the filter takes either.
  auto p = create_product({"Rake", "d", "9.00", slug});
  CHECK(kit::str(p, "category") == name);
  const std::string fresh = "Tools " + token();
  auto q = create_product({"Hammer", "d", "9.00", fresh});
  CHECK(kit::str(q, "category") == fresh);

  auto list = kit::http("GET", products_url() + "/api/categories?limit=100");
  REQUIRE(list.status == 200);
  CHECK(list.body.find("\"name\":\"" + name + "\"") != std::string::npos);
  auto by_slug = kit::http("GET", url("?category=" + slug));
  CHECK(ids_of(by_slug) == std::vector<std::string>{kit::str(p, "id")});
  auto via_gateway = kit::http("GET", gateway_url() + "/api/categories?limit=100");
  CHECK(via_gateway.status == 200);
}

TEST_CASE("products: stock changes go to the stock service, never below zero", "[products]") {
  const std::string id = create_product_id({"Stocked", "d", "3.00", "", 5});
  REQUIRE(eventually([&] { return stock_knows(id); }, 30s));
  auto up = kit::http("PATCH", url("/" + id + "/stock"), R"({"delta":3})", admin());
  INFO(up.body);
  REQUIRE(up.status == 200);
  auto level = kit::json(up.body);
  CHECK(kit::str(level, "productId") == id);
  CHECK(level["stock"].GetInt64() == 8);
  CHECK(kit::json(kit::http("GET", url("/" + id)).body)["stock"].GetInt64() == 8);  // projection updated at once

  auto set = kit::http("PATCH", url("/" + id + "/stock"), R"({"set":2})", admin());
  REQUIRE(set.status == 200);
  CHECK(kit::json(set.body)["stock"].GetInt64() == 2);
  auto below = kit::http("PATCH", url("/" + id + "/stock"), R"({"delta":-3})", admin());
  CHECK(below.status == 409);
  CHECK(kit::http("PATCH", url("/" + id + "/stock"), R"({"delta":1,"set":1})", admin()).status == 400);
  CHECK(kit::http("PATCH", url("/" + id + "/stock"), R"({"set":-1})", admin()).status == 400);
  CHECK(kit::http("PATCH", url("/" + core::uuid_v7() + "/stock"), R"({"delta":1})", admin()).status == 404);
  // STOCK_CHANGED events keep the projection where the stock service says it is.
  CHECK(eventually([&] { return kit::json(kit::http("GET", url("/" + id)).body)["stock"].GetInt64() == 2; }, 10s));
}

TEST_CASE("products: the internal batch lookup returns live products, inactive ones flagged", "[products]") {
  const std::string a = create_product_id({"A", "d", "1.10"});
  const std::string b = create_product_id({"B", "d", "2.20", "", 1, false});
  const std::string gone = create_product_id();
  REQUIRE(kit::http("DELETE", url("/" + gone), "", admin()).status == 204);
  auto r =
      kit::http("GET", products_url() + "/internal/products?ids=" + a + "," + b + "," + gone + "," + core::uuid_v7());
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto ids = ids_of(r);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected{a, b};
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);
  CHECK(r.body.find("\"price\":1.10") != std::string::npos);
  CHECK(kit::http("GET", products_url() + "/internal/products?ids=nope").status == 400);
  // Not reachable through the gateway.
  CHECK(kit::http("GET", gateway_url() + "/internal/products?ids=" + a).status == 404);
}

TEST_CASE("products: attributes are stored, returned, searched and cleared", "[products]") {
  const std::string author = "Ursula " + token();
  auto created = kit::http(
      "POST", url(),
      R"({"name":"A wizard's book","price":12.5,"category":"Books","attributes":{"author":")" + author + R"("}})",
      admin());
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto p = kit::json(created.body);
  const std::string id = kit::str(p, "id");
  CHECK(kit::str(p, "sku").rfind("SKU-", 0) == 0);
  CHECK(kit::str(p["attributes"], "author") == author);
  // `?q=` finds the book by its author.
  auto found = kit::json(kit::http("GET", url("?q=" + author.substr(author.find(' ') + 1))).body);
  REQUIRE(found["total"].GetInt() == 1);
  CHECK(kit::str(found["items"][0], "id") == id);
  // A patch that names other fields keeps them; null clears them.
  CHECK(kit::str(kit::json(kit::http("PATCH", url("/" + id), R"({"price":13})", admin()).body)["attributes"], "author") ==
        author);
  auto cleared = kit::json(kit::http("PATCH", url("/" + id), R"({"attributes":null})", admin()).body);
  CHECK(cleared["attributes"].ObjectEmpty());
  CHECK(kit::json(kit::http("GET", url("?q=" + author.substr(author.find(' ') + 1))).body)["total"].GetInt() == 0);
  CHECK(kit::http("POST", url(), R"({"name":"x","price":1,"attributes":{"author":7}})", admin()).status == 400);
}
