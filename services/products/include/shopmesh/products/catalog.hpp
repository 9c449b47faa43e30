#pragma once
// The catalog's domain: products, categories, list queries, write bodies and their validation,
// and JSON. Independent of HTTP and SQL types.
//
// Mass assignment: `id`, `createdAt`, `updatedAt` and `stock` in product bodies are ignored (stock
// changes only through PATCH /api/products/{id}/stock, which the stock service applies).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/core/money.hpp"

namespace shopmesh::products {

/// Free-form attributes (e.g. {"author": "..."}): at most 20 keys of [A-Za-z][A-Za-z0-9_]{0,39},
/// string values of at most 200 characters. Search reads the values.
using Attributes = std::map<std::string, std::string>;

struct Product {
  std::string id;
  std::string sku;
  std::string name;
  std::string description;
  core::Cents price;
  std::string category;   // empty: uncategorised
  std::string image_url;  // empty: none
  std::int64_t stock = 0;
  bool active = true;
  Attributes attributes;
  std::string created_at;
  std::string updated_at;
};

struct Category {
  std::string id;
  std::string name;
  std::string slug;
  std::string description;
  std::string created_at;
};

enum class SortOrder { created_desc, price_asc, price_desc, name_asc };

/// A validated `GET /api/products` query.
struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<std::string> text;
  std::optional<std::string> category;  // a category name or slug
  std::optional<core::Cents> min_price;
  std::optional<core::Cents> max_price;
  std::optional<bool> in_stock;
  SortOrder sort = SortOrder::created_desc;
};

struct Page {
  std::vector<Product> items;
  int page = 1;
  int limit = 20;
  std::int64_t total = 0;
};

/// `?page&limit` of a plain list (categories).
struct Paging {
  int page = 1;
  int limit = 100;
};

struct CategoryPage {
  std::vector<Category> items;
  int page = 1;
  int limit = 100;
  std::int64_t total = 0;
};

/// Looks up a decoded query parameter by name.
using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;

/// Parses and validates list parameters; throws core::invalid naming every bad one.
ListQuery parse_list_query(const ParamLookup& param);
/// `?page&limit` with limit 1–100 (default `default_limit`); throws 400 naming each bad one.
Paging parse_paging(const ParamLookup& param, int default_limit);

/// The editable fields of a product (POST and PUT bodies).
struct ProductFields {
  std::string sku;
  std::string name;
  std::string description;
  core::Cents price;
  std::optional<std::string> category;   // nullopt: uncategorised
  std::optional<std::string> image_url;  // nullopt: none
  bool active = true;
  Attributes attributes;
};

/// POST /api/products: the fields plus the initial stock handed to the stock service.
/// POST /api/products. `sku` may be left out (one is generated: "SKU-" + 12 hex digits, unique);
/// the initial level is `initialStock` or, when that is absent, `stock` as seed 001's clients send it.
struct NewProduct {
  ProductFields fields;
  std::int64_t initial_stock = 0;
};

/// PUT /api/products/{id}: the whole editable product; a missing `sku` keeps the current one, and
/// `stock` (seed 001) sets the level at the stock service.
struct ProductReplacement {
  ProductFields fields;  // fields.sku empty: keep the current sku
  std::optional<std::int64_t> stock;
};

/// PATCH /api/products/{id}: absent members stay; `category`/`imageUrl` null clears them.
struct ProductPatch {
  std::optional<std::string> sku;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<core::Cents> price;
  std::optional<std::optional<std::string>> category;
  std::optional<std::optional<std::string>> image_url;
  std::optional<bool> active;
  std::optional<Attributes> attributes;  // replaces them all; null clears
  std::optional<std::int64_t> stock;     // sets the level at the stock service
};

/// The largest accepted price: 10,000,000.00 USD.
inline constexpr core::Cents kMaxPrice{1'000'000'000};
/// The largest accepted stock figure (initial stock, delta, set).
inline constexpr std::int64_t kMaxStock = 1'000'000'000;

/// Body parsers; each throws core::invalid naming every bad field.
NewProduct parse_new_product(std::string_view body);
/// A new unique-enough sku for a product created without one: "SKU-" + 12 upper-case hex digits.
std::string generated_sku();
ProductReplacement parse_product_replacement(std::string_view body);
ProductPatch parse_product_patch(std::string_view body);
/// Applies a patch to the current fields.
ProductFields apply_patch(const Product& current, const ProductPatch& patch);

/// A price from the literal text of a JSON number: at most 2 decimals, 0 ≤ price ≤ kMaxPrice;
/// nullopt with `problem` set otherwise.
std::optional<core::Cents> parse_price_literal(std::string_view literal, std::string& problem);

/// POST /api/categories `{name, slug?, description?}`.
struct NewCategory {
  std::string name;
  std::string slug;
  std::string description;
};
NewCategory parse_new_category(std::string_view body);
/// "Home & Garden" -> "home-garden": words of letters and digits (ASCII lower-cased, other UTF-8
/// kept) joined by single dashes; at most 64 bytes.
std::string slugify(std::string_view name);
/// True for a slug as slugify makes them (1–64 characters).
bool is_slug(std::string_view slug);

/// PATCH /api/products/{id}/stock: exactly one of `delta` (non-zero) or `set` (≥ 0).
struct StockChange {
  std::optional<std::int64_t> delta;
  std::optional<std::int64_t> set;
};
/// PATCH /api/products/{id}/stock: exactly one of `delta` (or seed 001's `quantity`, added the
/// same way) and `set` (or `stock`, the level itself).
StockChange parse_stock_change(std::string_view body);
/// The body forwarded to the stock service: {"delta": n} or {"set": n}.
std::string stock_change_json(const StockChange& change);

/// `?ids=a,b,c` of the internal batch lookup: 1–100 UUIDs, lower-cased, duplicates dropped.
std::vector<std::string> parse_id_list(std::string_view ids);

std::string product_json(const Product& p);
std::string page_json(const Page& page);
/// `{"items": [product, ...]}` (the internal batch lookup).
std::string items_json(const std::vector<Product>& products);
std::string category_json(const Category& c);
std::string category_page_json(const CategoryPage& page);
std::string stock_level_json(const std::string& product_id, std::int64_t available, std::int64_t reserved);

}  // namespace shopmesh::products
