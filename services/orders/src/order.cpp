#include "shopmesh/orders/order.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::orders {
namespace {

using Errors = std::vector<core::FieldError>;

rapidjson::Document parse_body(std::string_view text) {
  return core::json::parse_object(text);
}

// A trimmed text member of `obj` with [min, max] characters; `required` reports absence.
std::optional<std::string> text(const rapidjson::Value& obj, const char* name, const std::string& field,
                                std::size_t min, std::size_t max, bool required, Errors& errors) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || (!required && it->value.IsNull())) {
    if (required) errors.push_back({field, "is required"});
    return std::nullopt;
  }
  if (!it->value.IsString()) {
    errors.push_back({field, "must be a string"});
    return std::nullopt;
  }
  std::string_view raw(it->value.GetString(), it->value.GetStringLength());
  if (raw.find('\0') != std::string_view::npos) {
    errors.push_back({field, "must not contain NUL characters"});
    return std::nullopt;
  }
  std::string s = core::trim(raw);
  const auto n = core::utf8_length(s);
  if (!n) {
    errors.push_back({field, "must be valid UTF-8"});
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    errors.push_back({field, min > 0 ? "must be " + std::to_string(min) + " to " + std::to_string(max) + " characters"
                                     : "must be at most " + std::to_string(max) + " characters"});
    return std::nullopt;
  }
  return s;
}

std::optional<Address> parse_address(const rapidjson::Value& v, Errors& errors) {
  if (!v.IsObject()) {
    errors.push_back({"shippingAddress", "must be an object or null"});
    return std::nullopt;
  }
  Address a;
  const std::size_t before = errors.size();
  if (auto s = text(v, "line1", "shippingAddress.line1", 1, 200, true, errors)) a.line1 = *s;
  a.line2 = text(v, "line2", "shippingAddress.line2", 0, 200, false, errors);
  if (a.line2 && a.line2->empty()) a.line2.reset();
  if (auto s = text(v, "city", "shippingAddress.city", 1, 100, true, errors)) a.city = *s;
  if (auto s = text(v, "postalCode", "shippingAddress.postalCode", 0, 20, true, errors)) a.postal_code = *s;
  if (auto s = text(v, "country", "shippingAddress.country", 2, 56, true, errors)) {
    // Two-letter codes are upper-cased (ISO 3166-1 alpha-2); longer names are kept as entered.
    a.country = *s;
    if (a.country.size() == 2)
      std::transform(a.country.begin(), a.country.end(), a.country.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  if (errors.size() != before) return std::nullopt;
  return a;
}

void write_optional(core::json::Writer& w, const char* key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v)
    w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
  else
    w.Null();
}

void write_money(core::json::Writer& w, const char* key, core::Cents c) {
  w.Key(key);
  const std::string text = core::format_cents(c);
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

// Members in alphabetical order: the canonical form and the API share this writer.
void write_address(core::json::Writer& w, const std::optional<Address>& a) {
  if (!a) {
    w.Null();
    return;
  }
  w.StartObject();
  core::json::kv(w, "city", a->city);
  core::json::kv(w, "country", a->country);
  core::json::kv(w, "line1", a->line1);
  write_optional(w, "line2", a->line2);
  core::json::kv(w, "postalCode", a->postal_code);
  w.EndObject();
}

void write_order(core::json::Writer& w, const Order& o) {
  using core::json::kv;
  w.StartObject();
  kv(w, "id", o.id);
  kv(w, "userId", o.user_id);
  w.Key("items");
  w.StartArray();
  for (const auto& l : o.lines) {
    w.StartObject();
    kv(w, "productId", l.product_id);
    kv(w, "productName", l.product_name);
    write_money(w, "unitPrice", l.unit_price);
    w.Key("quantity");
    w.Int64(l.quantity);
    write_money(w, "subtotal", l.subtotal);
    w.EndObject();
  }
  w.EndArray();
  write_money(w, "totalAmount", o.total);
  kv(w, "currency", "USD");
  kv(w, "status", to_string(o.status));
  write_optional(w, "statusReason", o.status_reason);
  w.Key("shippingAddress");
  write_address(w, o.shipping_address);
  kv(w, "createdAt", o.created_at);
  kv(w, "updatedAt", o.updated_at);
  w.EndObject();
}

}  // namespace

std::string_view to_string(OrderStatus s) {
  switch (s) {
    case OrderStatus::pending:
      return "PENDING";
    case OrderStatus::confirmed:
      return "CONFIRMED";
    case OrderStatus::rejected:
      return "REJECTED";
    case OrderStatus::cancelled:
      return "CANCELLED";
    case OrderStatus::shipped:
      return "SHIPPED";
    case OrderStatus::delivered:
      return "DELIVERED";
  }
  return "PENDING";
}

std::optional<OrderStatus> parse_status(std::string_view text) {
  for (auto s : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::rejected, OrderStatus::cancelled,
                 OrderStatus::shipped, OrderStatus::delivered})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool may_move(Actor actor, OrderStatus from, OrderStatus to) {
  using S = OrderStatus;
  switch (to) {
    case S::confirmed:
    case S::rejected:
      return actor == Actor::stock && from == S::pending;
    case S::cancelled:
      return actor != Actor::stock && (from == S::pending || from == S::confirmed);
    case S::shipped:
      return actor == Actor::admin && from == S::confirmed;
    case S::delivered:
      return actor == Actor::admin && from == S::shipped;
    case S::pending:
      return false;  // where every order starts, and never returns to
  }
  return false;
}

std::vector<OrderStatus> movable_to(Actor actor, OrderStatus to) {
  std::vector<OrderStatus> from;
  for (const OrderStatus s : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::rejected,
                              OrderStatus::cancelled, OrderStatus::shipped, OrderStatus::delivered})
    if (may_move(actor, s, to)) from.push_back(s);
  return from;
}

OrderRequest parse_order_request(std::string_view body) {
  const auto doc = parse_body(body);
  Errors errors;
  OrderRequest r;
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd()) {
    errors.push_back({"items", "is required"});
  } else if (!items->value.IsArray()) {
    errors.push_back({"items", "must be an array"});
  } else if (items->value.Empty()) {
    errors.push_back({"items", "must contain at least one item"});
  } else if (items->value.Size() > kMaxLines) {
    errors.push_back({"items", "must contain at most " + std::to_string(kMaxLines) + " items"});
  } else {
    std::set<std::string> seen;
    rapidjson::SizeType i = 0;
    for (const auto& item : items->value.GetArray()) {
      const std::string at = "items[" + std::to_string(i++) + "]";
      if (!item.IsObject()) {
        errors.push_back({at, "must be an object"});
        continue;
      }
      LineRequest line;
      auto pid = item.FindMember("productId");
      if (pid == item.MemberEnd()) {
        errors.push_back({at + ".productId", "is required"});
      } else if (!pid->value.IsString() || !core::is_uuid({pid->value.GetString(), pid->value.GetStringLength()})) {
        errors.push_back({at + ".productId", "must be a UUID"});
      } else {
        line.product_id = core::ascii_lower(pid->value.GetString());
        if (!seen.insert(line.product_id).second)
          errors.push_back({at + ".productId", "appears more than once; give one line per product"});
      }
      auto qty = item.FindMember("quantity");
      if (qty == item.MemberEnd()) {
        errors.push_back({at + ".quantity", "is required"});
      } else if (!qty->value.IsInt64()) {
        errors.push_back({at + ".quantity", "must be an integer"});
      } else if (qty->value.GetInt64() < 1 || qty->value.GetInt64() > kMaxQuantity) {
        errors.push_back({at + ".quantity", "must be between 1 and " + std::to_string(kMaxQuantity)});
      } else {
        line.quantity = qty->value.GetInt64();
      }
      r.items.push_back(std::move(line));
    }
  }
  if (auto a = doc.FindMember("shippingAddress"); a != doc.MemberEnd() && !a->value.IsNull())
    r.shipping_address = parse_address(a->value, errors);
  if (!errors.empty()) throw core::invalid("Some fields are not valid.", std::move(errors));
  return r;
}

std::string canonical_request(const OrderRequest& request) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& l : request.items) {
    w.StartObject();
    core::json::kv(w, "productId", l.product_id);
    w.Key("quantity");
    w.Int64(l.quantity);
    w.EndObject();
  }
  w.EndArray();
  w.Key("shippingAddress");
  write_address(w, request.shipping_address);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string request_fingerprint(const OrderRequest& request) {
  const std::string text = canonical_request(request);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

std::optional<std::string> idempotency_key_problem(std::string_view key) {
  if (key.empty() || key.size() > 255) return "must be 1 to 255 characters";
  for (char c : key)
    if (c < 0x21 || c > 0x7E) return "may contain only visible ASCII characters";
  return std::nullopt;
}

PricedOrder price_order(const OrderRequest& request,
                        const std::map<std::string, products::client::CatalogProduct>& catalog) {
  PricedOrder priced;
  Errors errors;
  for (std::size_t i = 0; i < request.items.size(); ++i) {
    const auto& line = request.items[i];
    const std::string field = "items[" + std::to_string(i) + "].productId";
    auto it = catalog.find(line.product_id);
    if (it == catalog.end()) {
      errors.push_back({field, "is not a product in the catalog"});
      continue;
    }
    if (!it->second.active) {
      errors.push_back({field, "is not available for ordering"});
      continue;
    }
    OrderLine l;
    l.product_id = line.product_id;
    l.product_name = it->second.name;
    l.unit_price = it->second.price;
    l.quantity = line.quantity;
    l.subtotal = l.unit_price * line.quantity;
    priced.total = priced.total + l.subtotal;
    priced.lines.push_back(std::move(l));
  }
  if (!errors.empty()) throw core::refused("Some products cannot be ordered.", std::move(errors));
  return priced;
}

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  Errors errors;
  core::read_paging(param, q.page, q.limit, errors);
  if (auto v = param("status"); v && !v->empty()) {
    std::string upper = *v;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (auto s = parse_status(upper))
      q.status = s;
    else
      errors.push_back({"status", "must be one of PENDING, CONFIRMED, REJECTED, CANCELLED, SHIPPED, DELIVERED"});
  }
  if (auto v = param("userId"); v && !v->empty()) {
    if (core::is_uuid(*v))
      q.user_id = core::ascii_lower(*v);
    else
      errors.push_back({"userId", "must be a UUID"});
  }
  if (!errors.empty()) throw core::invalid("Invalid query parameters.", std::move(errors));
  return q;
}

OrderStatus parse_status_change(std::string_view body) {
  const auto doc = parse_body(body);
  auto it = doc.FindMember("status");
  if (it == doc.MemberEnd()) throw core::invalid("The new status is missing.", {{"status", "is required"}});
  if (it->value.IsString()) {
    // Upper case, or lower case as seed 001's clients send it ("shipped").
    std::string text(it->value.GetString(), it->value.GetStringLength());
    const bool one_case = std::all_of(text.begin(), text.end(), [](unsigned char c) { return !std::islower(c); }) ||
                          std::all_of(text.begin(), text.end(), [](unsigned char c) { return !std::isupper(c); });
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto s = one_case ? parse_status(text) : std::nullopt;
    if (s == OrderStatus::shipped || s == OrderStatus::delivered || s == OrderStatus::cancelled) return *s;
  }
  throw core::invalid("The new status is not valid.",
                          {{"status", "must be SHIPPED, DELIVERED or CANCELLED (or the same in lower case)"}});
}

std::string order_json(const Order& order) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_order(w, order);
  return {buf.GetString(), buf.GetSize()};
}

std::string page_json(const Page& page) {
  return core::json::page_json(page.items, page.page, page.limit, page.total,
                               [](core::json::Writer& w, const auto& o) { write_order(w, o); });
}

}  // namespace shopmesh::orders
