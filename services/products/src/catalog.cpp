#include "shopmesh/products/catalog.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::products {
namespace {

using Errors = std::vector<core::FieldError>;

std::optional<long long> parse_int(const std::string& s) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// A request body: the object as parsed, and the same text parsed with numbers kept as their literal
// text, so that money is read from "19.99" rather than from the nearest double.
struct Body {
  rapidjson::Document doc;
  rapidjson::Document raw;

  const rapidjson::Value* find(const char* name) const {
    auto it = doc.FindMember(name);
    return it == doc.MemberEnd() ? nullptr : &it->value;
  }
  std::string_view literal(const char* name) const {
    const auto& v = raw[name];
    return {v.GetString(), v.GetStringLength()};
  }
};

Body parse_body(std::string_view text) {
  Body b;
  b.doc.Parse<core::json::kRequestParseFlags>(text.data(), text.size());
  if (b.doc.HasParseError()) {
    throw core::invalid("The request body is not valid JSON.",
                            {{"body", std::string(rapidjson::GetParseError_En(b.doc.GetParseError())) + " at offset " +
                                          std::to_string(b.doc.GetErrorOffset())}});
  }
  if (!b.doc.IsObject())
    throw core::invalid("The request body must be a JSON object.", {{"body", "must be an object"}});
  core::json::require_utf8_strings(b.doc);
  b.raw.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return b;
}

void fail_if(Errors& errors) {
  if (!errors.empty()) throw core::invalid("Some fields are not valid.", std::move(errors));
}

// A text field: trimmed when `trimmed`; length in characters within [min, max]; no NUL.
std::optional<std::string> text_value(const rapidjson::Value& v, const char* field, std::size_t min, std::size_t max,
                                      bool trimmed, Errors& errors) {
  if (!v.IsString()) {
    errors.push_back({field, "must be a string"});
    return std::nullopt;
  }
  std::string_view raw(v.GetString(), v.GetStringLength());
  if (raw.find('\0') != std::string_view::npos) {
    errors.push_back({field, "must not contain NUL characters"});
    return std::nullopt;
  }
  std::string s = trimmed ? trim(raw) : std::string(raw);
  const std::size_t n = utf8_length(s);
  if (n < min || n > max) {
    errors.push_back({field, min > 0 ? "must be " + std::to_string(min) + " to " + std::to_string(max) + " characters"
                                     : "must be at most " + std::to_string(max) + " characters"});
    return std::nullopt;
  }
  return s;
}

bool is_attribute_key(std::string_view k) {
  if (k.empty() || k.size() > 40 || !std::isalpha(static_cast<unsigned char>(k.front()))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// `attributes`: an object of at most 20 short strings; null is an empty map.
std::optional<Attributes> read_attributes(const rapidjson::Value& v, Errors& errors) {
  if (v.IsNull()) return Attributes{};
  if (!v.IsObject()) {
    errors.push_back({"attributes", "must be an object of strings"});
    return std::nullopt;
  }
  if (v.MemberCount() > 20) {
    errors.push_back({"attributes", "must have at most 20 members"});
    return std::nullopt;
  }
  Attributes out;
  bool ok = true;
  for (const auto& m : v.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    const std::string field = "attributes." + key;
    if (!is_attribute_key(key)) {
      errors.push_back({field, "keys are a letter, then up to 39 letters, digits or '_'"});
      ok = false;
      continue;
    }
    if (auto s = text_value(m.value, field.c_str(), 0, 200, true, errors))
      out[key] = *s;
    else
      ok = false;
  }
  return ok ? std::optional<Attributes>(std::move(out)) : std::nullopt;
}

bool is_sku(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::optional<std::string> read_sku(const rapidjson::Value& v, Errors& errors) {
  auto s = text_value(v, "sku", 1, 64, true, errors);
  if (s && !is_sku(*s)) {
    errors.push_back({"sku", "may contain only letters, digits, '-', '_' and '.'"});
    return std::nullopt;
  }
  return s;
}

std::optional<core::Cents> read_price(const Body& b, Errors& errors) {
  const auto* v = b.find("price");
  if (!v->IsNumber()) {
    errors.push_back({"price", "must be a number"});
    return std::nullopt;
  }
  std::string problem;
  auto cents = parse_price_literal(b.literal("price"), problem);
  if (!cents) errors.push_back({"price", problem});
  return cents;
}

// category / imageUrl: a string, or null for none.
std::optional<std::optional<std::string>> read_nullable(const rapidjson::Value& v, const char* field, std::size_t max,
                                                        Errors& errors) {
  if (v.IsNull()) return std::optional<std::string>{};
  auto s = text_value(v, field, 1, max, true, errors);
  if (!s) return std::nullopt;
  return std::optional<std::string>(std::move(*s));
}

std::optional<std::optional<std::string>> read_category(const rapidjson::Value& v, Errors& errors) {
  auto c = read_nullable(v, "category", 100, errors);
  if (c && *c && slugify(**c).empty()) {
    errors.push_back({"category", "must contain at least one letter or digit"});
    return std::nullopt;
  }
  return c;
}

std::optional<std::optional<std::string>> read_image_url(const rapidjson::Value& v, Errors& errors) {
  auto u = read_nullable(v, "imageUrl", 2048, errors);
  if (u && *u) {
    const std::string& url = **u;
    const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!http || url.find_first_of(" \t\r\n\"<>") != std::string::npos) {
      errors.push_back({"imageUrl", "must be an http or https URL"});
      return std::nullopt;
    }
  }
  return u;
}

std::optional<bool> read_bool(const rapidjson::Value& v, const char* field, Errors& errors) {
  if (!v.IsBool()) {
    errors.push_back({field, "must be true or false"});
    return std::nullopt;
  }
  return v.GetBool();
}

// An integer within [min, max]; JSON numbers with a fraction or an exponent are not integers here.
std::optional<std::int64_t> read_integer(const Body& b, const char* field, std::int64_t min, std::int64_t max,
                                         Errors& errors) {
  const auto* v = b.find(field);
  std::optional<long long> n;
  if (v->IsNumber()) n = parse_int(std::string(b.literal(field)));
  if (!n) {
    errors.push_back({field, "must be an integer"});
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    errors.push_back({field, "must be between " + std::to_string(min) + " and " + std::to_string(max)});
    return std::nullopt;
  }
  return *n;
}

// A stock level member (0 ≤ n ≤ kMaxStock) when present and not null.
std::optional<std::int64_t> optional_level(const Body& b, const char* field, Errors& errors) {
  const auto* v = b.find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  return read_integer(b, field, 0, kMaxStock, errors);
}

// The fields of a whole product (POST, PUT): name and price are required, and so is sku unless
// `sku_optional` (left empty then); the others fall back to their defaults when absent.
ProductFields read_fields(const Body& b, Errors& errors, bool sku_optional) {
  ProductFields f;
  auto required = [&](const char* name) {
    if (b.find(name) != nullptr) return true;
    errors.push_back({name, "is required"});
    return false;
  };
  if (const auto* v = b.find("sku"); v != nullptr && !(sku_optional && v->IsNull())) {
    if (auto s = read_sku(*v, errors)) f.sku = *s;
  } else if (!sku_optional) {
    required("sku");
  }
  if (required("name")) {
    if (auto s = text_value(*b.find("name"), "name", 1, 200, true, errors)) f.name = *s;
  }
  if (required("price")) {
    if (auto p = read_price(b, errors)) f.price = *p;
  }
  if (const auto* v = b.find("description")) {
    if (v->IsNull())
      f.description.clear();
    else if (auto s = text_value(*v, "description", 0, 5000, false, errors))
      f.description = *s;
  }
  if (const auto* v = b.find("category")) {
    if (auto c = read_category(*v, errors)) f.category = *c;
  }
  if (const auto* v = b.find("imageUrl")) {
    if (auto u = read_image_url(*v, errors)) f.image_url = *u;
  }
  if (const auto* v = b.find("active")) {
    if (auto a = read_bool(*v, "active", errors)) f.active = *a;
  }
  if (const auto* v = b.find("attributes")) {
    if (auto a = read_attributes(*v, errors)) f.attributes = std::move(*a);
  }
  return f;
}

void write_money(core::json::Writer& w, const char* key, core::Cents c) {
  w.Key(key);
  const std::string text = core::format_cents(c);
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

void write_product(core::json::Writer& w, const Product& p) {
  using core::json::kv;
  w.StartObject();
  kv(w, "id", p.id);
  kv(w, "sku", p.sku);
  kv(w, "name", p.name);
  kv(w, "description", p.description);
  write_money(w, "price", p.price);
  kv(w, "currency", "USD");
  w.Key("category");
  if (p.category.empty())
    w.Null();
  else
    w.String(p.category.c_str(), static_cast<rapidjson::SizeType>(p.category.size()));
  w.Key("imageUrl");
  if (p.image_url.empty())
    w.Null();
  else
    w.String(p.image_url.c_str(), static_cast<rapidjson::SizeType>(p.image_url.size()));
  w.Key("stock");
  w.Int64(p.stock);
  w.Key("active");
  w.Bool(p.active);
  w.Key("attributes");
  w.StartObject();
  for (const auto& [k, v] : p.attributes) kv(w, k.c_str(), v);
  w.EndObject();
  kv(w, "createdAt", p.created_at);
  kv(w, "updatedAt", p.updated_at);
  w.EndObject();
}

void write_category(core::json::Writer& w, const Category& c) {
  using core::json::kv;
  w.StartObject();
  kv(w, "id", c.id);
  kv(w, "name", c.name);
  kv(w, "slug", c.slug);
  kv(w, "description", c.description);
  kv(w, "createdAt", c.created_at);
  w.EndObject();
}

std::string done(const rapidjson::StringBuffer& buf) {
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  std::vector<core::FieldError> errors;
  core::read_paging(param, q.page, q.limit, errors);
  if (auto v = param("q"); v && !trim(*v).empty()) {
    if (v->size() > 200)
      errors.push_back({"q", "must be at most 200 characters"});
    else if (v->find('\0') != std::string::npos)
      errors.push_back({"q", "must not contain NUL characters"});
    else
      q.text = trim(*v);
  }
  if (auto v = param("category"); v && !v->empty()) {
    if (v->size() > 100 || v->find('\0') != std::string::npos)
      errors.push_back({"category", "is not a category name"});
    else
      q.category = trim(*v);
  }
  auto price = [&](const char* name, std::optional<core::Cents>& out) {
    if (auto v = param(name)) {
      auto c = core::parse_cents(*v);
      if (!c || c->value < 0)
        errors.push_back({name, "must be a non-negative amount with at most 2 decimals"});
      else
        out = c;
    }
  };
  price("minPrice", q.min_price);
  price("maxPrice", q.max_price);
  if (q.min_price && q.max_price && *q.min_price > *q.max_price)
    errors.push_back({"minPrice", "must not exceed maxPrice"});
  if (auto v = param("inStock")) {
    if (*v == "true")
      q.in_stock = true;
    else if (*v == "false")
      q.in_stock = false;
    else
      errors.push_back({"inStock", "must be true or false"});
  }
  if (auto v = param("sort")) {
    if (*v == "price")
      q.sort = SortOrder::price_asc;
    else if (*v == "-price")
      q.sort = SortOrder::price_desc;
    else if (*v == "name")
      q.sort = SortOrder::name_asc;
    else if (*v == "-createdAt")
      q.sort = SortOrder::created_desc;
    else
      errors.push_back({"sort", "must be one of price, -price, name, -createdAt"});
  }
  if (!errors.empty()) throw core::invalid("Invalid query parameters.", std::move(errors));
  return q;
}

Paging parse_paging(const ParamLookup& param, int default_limit) {
  Paging p;
  p.limit = default_limit;
  Errors errors;
  core::read_paging(param, p.page, p.limit, errors);
  if (!errors.empty()) throw core::invalid("Invalid query parameters.", std::move(errors));
  return p;
}

std::optional<core::Cents> parse_price_literal(std::string_view literal, std::string& problem) {
  if (!literal.empty() && literal.front() == '-') {
    problem = "must not be negative";
    return std::nullopt;
  }
  auto cents = core::parse_cents(literal);
  if (!cents) {
    problem = "must be an amount with at most 2 decimals";
    return std::nullopt;
  }
  if (*cents > kMaxPrice) {
    problem = "must be at most " + core::format_cents(kMaxPrice);
    return std::nullopt;
  }
  return cents;
}

NewProduct parse_new_product(std::string_view body) {
  const Body b = parse_body(body);
  Errors errors;
  NewProduct p;
  p.fields = read_fields(b, errors, true);
  if (p.fields.sku.empty()) p.fields.sku = generated_sku();
  // initialStock is Shopmesh's name; seed 001's `stock` counts only when initialStock is absent.
  if (const auto initial = optional_level(b, "initialStock", errors))
    p.initial_stock = *initial;
  else if (const auto stock = optional_level(b, "stock", errors))
    p.initial_stock = *stock;
  fail_if(errors);
  return p;
}

ProductReplacement parse_product_replacement(std::string_view body) {
  const Body b = parse_body(body);
  Errors errors;
  ProductReplacement r;
  r.fields = read_fields(b, errors, true);
  r.stock = optional_level(b, "stock", errors);
  fail_if(errors);
  return r;
}

std::string generated_sku() {
  // The last 12 hex digits of a UUIDv7 are random (48 bits): a collision is as likely as a
  // duplicated id, and the unique index would still refuse it (409).
  std::string id = core::uuid_v7();
  std::string tail = id.substr(id.size() - 12);
  for (auto& c : tail) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "SKU-" + tail;
}

ProductPatch parse_product_patch(std::string_view body) {
  const Body b = parse_body(body);
  Errors errors;
  ProductPatch p;
  if (const auto* v = b.find("sku")) p.sku = read_sku(*v, errors);
  if (const auto* v = b.find("name")) p.name = text_value(*v, "name", 1, 200, true, errors);
  if (b.find("price") != nullptr) p.price = read_price(b, errors);
  if (const auto* v = b.find("description")) {
    if (v->IsNull())
      p.description = std::string();
    else
      p.description = text_value(*v, "description", 0, 5000, false, errors);
  }
  if (const auto* v = b.find("category")) p.category = read_category(*v, errors);
  if (const auto* v = b.find("imageUrl")) p.image_url = read_image_url(*v, errors);
  if (const auto* v = b.find("active")) p.active = read_bool(*v, "active", errors);
  if (const auto* v = b.find("attributes")) p.attributes = read_attributes(*v, errors);
  p.stock = optional_level(b, "stock", errors);
  fail_if(errors);
  return p;
}

ProductFields apply_patch(const Product& current, const ProductPatch& patch) {
  ProductFields f;
  f.sku = patch.sku.value_or(current.sku);
  f.name = patch.name.value_or(current.name);
  f.description = patch.description.value_or(current.description);
  f.price = patch.price.value_or(current.price);
  if (patch.category)
    f.category = *patch.category;
  else if (!current.category.empty())
    f.category = current.category;
  if (patch.image_url)
    f.image_url = *patch.image_url;
  else if (!current.image_url.empty())
    f.image_url = current.image_url;
  f.active = patch.active.value_or(current.active);
  f.attributes = patch.attributes.value_or(current.attributes);
  return f;
}

std::string slugify(std::string_view name) {
  std::string slug;
  bool dash = false;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {  // non-ASCII (UTF-8) kept as is
      if (dash && !slug.empty()) slug.push_back('-');
      slug.push_back(static_cast<char>(c));
      dash = false;
    } else if (c >= 'A' && c <= 'Z') {
      if (dash && !slug.empty()) slug.push_back('-');
      slug.push_back(static_cast<char>(c - 'A' + 'a'));
      dash = false;
    } else {
      dash = true;
    }
  }
  if (slug.size() > 64) {
    std::size_t cut = 64;  // on a character boundary
    while (cut > 0 && (static_cast<unsigned char>(slug[cut]) & 0xC0) == 0x80) --cut;
    slug.resize(cut);
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
  }
  return slug;
}

bool is_slug(std::string_view slug) {
  return !slug.empty() && slug.size() <= 64 && slugify(slug) == slug;
}

NewCategory parse_new_category(std::string_view body) {
  const Body b = parse_body(body);
  Errors errors;
  NewCategory c;
  if (const auto* v = b.find("name")) {
    if (auto s = text_value(*v, "name", 1, 100, true, errors)) c.name = *s;
  } else {
    errors.push_back({"name", "is required"});
  }
  if (const auto* v = b.find("slug"); v != nullptr && !v->IsNull()) {
    if (auto s = text_value(*v, "slug", 1, 64, true, errors)) {
      if (is_slug(*s))
        c.slug = *s;
      else
        errors.push_back({"slug", "must be lower-case letters and digits separated by single dashes"});
    }
  }
  if (const auto* v = b.find("description"); v != nullptr && !v->IsNull()) {
    if (auto s = text_value(*v, "description", 0, 1000, false, errors)) c.description = *s;
  }
  if (errors.empty() && c.slug.empty()) {
    c.slug = slugify(c.name);
    if (c.slug.empty()) errors.push_back({"name", "must contain at least one letter or digit (or give a slug)"});
  }
  fail_if(errors);
  return c;
}

StockChange parse_stock_change(std::string_view body) {
  const Body b = parse_body(body);
  Errors errors;
  StockChange change;
  // Seed 001's clients send {"quantity": n}, added to the level like delta, or {"stock": n}.
  const char* given = nullptr;
  int count = 0;
  for (const char* name : {"delta", "quantity", "set", "stock"})
    if (b.find(name) != nullptr) {
      given = given ? given : name;
      ++count;
    }
  if (count != 1) {
    throw core::invalid("Give exactly one of delta (or quantity) and set (or stock).",
                            {{count == 0 ? "delta" : "set", count == 0 ? "is required (or give set)"
                                                                       : "only one of delta, quantity, set, stock"}});
  }
  const std::string_view name = given;
  if (name == "delta" || name == "quantity") {
    change.delta = read_integer(b, given, -kMaxStock, kMaxStock, errors);
    if (change.delta && *change.delta == 0) errors.push_back({given, "must not be 0"});
  } else {
    change.set = read_integer(b, given, 0, kMaxStock, errors);
  }
  fail_if(errors);
  return change;
}

std::string stock_change_json(const StockChange& change) {
  if (change.delta) return R"({"delta":)" + std::to_string(*change.delta) + "}";
  return R"({"set":)" + std::to_string(change.set.value_or(0)) + "}";
}

std::vector<std::string> parse_id_list(std::string_view ids) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  Errors errors;
  std::size_t start = 0;
  while (start <= ids.size()) {
    std::size_t end = ids.find(',', start);
    if (end == std::string_view::npos) end = ids.size();
    std::string id(trim(ids.substr(start, end - start)));
    if (!id.empty()) {
      if (!core::is_uuid(id)) {
        errors.push_back({"ids", "must be a comma-separated list of UUIDs"});
        break;
      }
      std::transform(id.begin(), id.end(), id.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (seen.insert(id).second) out.push_back(id);
    }
    start = end + 1;
  }
  if (errors.empty() && out.empty()) errors.push_back({"ids", "is required"});
  if (errors.empty() && out.size() > 100) errors.push_back({"ids", "must list at most 100 ids"});
  if (!errors.empty()) throw core::invalid("Invalid query parameters.", std::move(errors));
  return out;
}

std::string product_json(const Product& p) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_product(w, p);
  return done(buf);
}

std::string page_json(const Page& page) {
  return core::json::page_json(page.items, page.page, page.limit, page.total,
                               [](core::json::Writer& w, const auto& p) { write_product(w, p); });
}

std::string items_json(const std::vector<Product>& products) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& p : products) write_product(w, p);
  w.EndArray();
  w.EndObject();
  return done(buf);
}

std::string category_json(const Category& c) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_category(w, c);
  return done(buf);
}

std::string category_page_json(const CategoryPage& page) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& c : page.items) write_category(w, c);
  w.EndArray();
  w.Key("page");
  w.Int(page.page);
  w.Key("limit");
  w.Int(page.limit);
  w.Key("total");
  w.Int64(page.total);
  w.EndObject();
  return done(buf);
}

std::string stock_level_json(const std::string& product_id, std::int64_t available, std::int64_t reserved) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "productId", product_id);
  w.Key("stock");
  w.Int64(available);
  w.Key("reserved");
  w.Int64(reserved);
  w.EndObject();
  return done(buf);
}

}  // namespace shopmesh::products
