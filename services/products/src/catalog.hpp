#pragma once
// The catalog's domain: listing queries and their validation, independent of HTTP and SQL types.
#include <cstdint>
#include <functional>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "shopmesh/core/money.hpp"

namespace shopmesh::products {

struct Product {
  std::string id;
  std::string sku;
  std::string name;
  std::string description;
  core::Cents price;
  std::string category;
  std::string image_url;
  std::int64_t stock = 0;
  bool active = true;
  std::string created_at;
  std::string updated_at;
};

enum class SortOrder { created_desc, price_asc, price_desc, name_asc };

/// A validated `GET /api/products` query.
struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<std::string> text;
  std::optional<std::string> category;
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

/// Looks up a decoded query parameter by name.
using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;

/// Parses and validates list parameters; throws core::ClientError(400) naming every bad one.
ListQuery parse_list_query(const ParamLookup& param);

std::string product_json(const Product& p);
std::string page_json(const Page& page);

}  // namespace shopmesh::products
