#include "catalog.hpp"

#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"

namespace shopmesh::products {
namespace {

std::optional<long long> parse_int(const std::string& s) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void write_product(core::json::Writer& w, const Product& p) {
  using core::json::kv;
  w.StartObject();
  kv(w, "id", p.id);
  kv(w, "sku", p.sku);
  kv(w, "name", p.name);
  kv(w, "description", p.description);
  w.Key("price");
  const std::string price = core::format_cents(p.price);
  w.RawValue(price.data(), price.size(), rapidjson::kNumberType);
  kv(w, "currency", "USD");
  w.Key("category");
  if (p.category.empty()) w.Null(); else w.String(p.category.c_str());
  w.Key("imageUrl");
  if (p.image_url.empty()) w.Null(); else w.String(p.image_url.c_str());
  w.Key("stock");
  w.Int64(p.stock);
  w.Key("active");
  w.Bool(p.active);
  kv(w, "createdAt", p.created_at);
  kv(w, "updatedAt", p.updated_at);
  w.EndObject();
}

}  // namespace

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  std::vector<core::FieldError> errors;
  if (auto v = param("page")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 1'000'000) errors.push_back({"page", "must be an integer >= 1"});
    else q.page = static_cast<int>(*n);
  }
  if (auto v = param("limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 100) errors.push_back({"limit", "must be an integer between 1 and 100"});
    else q.limit = static_cast<int>(*n);
  }
  if (auto v = param("q"); v && !v->empty()) {
    if (v->size() > 200) errors.push_back({"q", "must be at most 200 characters"});
    else q.text = *v;
  }
  if (auto v = param("category"); v && !v->empty()) q.category = *v;
  auto price = [&](const char* name, std::optional<core::Cents>& out) {
    if (auto v = param(name)) {
      auto c = core::parse_cents(*v);
      if (!c || c->value < 0) errors.push_back({name, "must be a non-negative amount with at most 2 decimals"});
      else out = c;
    }
  };
  price("minPrice", q.min_price);
  price("maxPrice", q.max_price);
  if (q.min_price && q.max_price && *q.min_price > *q.max_price)
    errors.push_back({"minPrice", "must not exceed maxPrice"});
  if (auto v = param("inStock")) {
    if (*v == "true") q.in_stock = true;
    else if (*v == "false") q.in_stock = false;
    else errors.push_back({"inStock", "must be true or false"});
  }
  if (auto v = param("sort")) {
    if (*v == "price") q.sort = SortOrder::price_asc;
    else if (*v == "-price") q.sort = SortOrder::price_desc;
    else if (*v == "name") q.sort = SortOrder::name_asc;
    else if (*v == "-createdAt") q.sort = SortOrder::created_desc;
    else errors.push_back({"sort", "must be one of price, -price, name, -createdAt"});
  }
  if (!errors.empty()) throw core::bad_request("Invalid query parameters.", std::move(errors));
  return q;
}

std::string product_json(const Product& p) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_product(w, p);
  return {buf.GetString(), buf.GetSize()};
}

std::string page_json(const Page& page) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& p : page.items) write_product(w, p);
  w.EndArray();
  w.Key("page");
  w.Int(page.page);
  w.Key("limit");
  w.Int(page.limit);
  w.Key("total");
  w.Int64(page.total);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace shopmesh::products
