#include "shopmesh/cart/cart.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::cart {
namespace {

using Errors = std::vector<core::FieldError>;

rapidjson::Document parse_body(std::string_view text) {
  return core::json::parse_object(text);
}

std::optional<std::int64_t> read_quantity(const rapidjson::Value& doc, std::int64_t min, Errors& errors) {
  auto it = doc.FindMember("quantity");
  if (it == doc.MemberEnd()) {
    errors.push_back({"quantity", "is required"});
  } else if (!it->value.IsInt64()) {
    errors.push_back({"quantity", "must be an integer"});
  } else if (it->value.GetInt64() < min || it->value.GetInt64() > kMaxQuantity) {
    errors.push_back({"quantity", "must be between " + std::to_string(min) + " and " + std::to_string(kMaxQuantity)});
  } else {
    return it->value.GetInt64();
  }
  return std::nullopt;
}

// JSON with object members sorted by name at every level: one text per meaning.
void write_canonical(core::json::Writer& w, const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (const auto& m : v.GetObject()) members.push_back(&m);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      write_canonical(w, m->value);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& e : v.GetArray()) write_canonical(w, e);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

void write_money(core::json::Writer& w, const char* key, const std::optional<core::Cents>& c) {
  w.Key(key);
  if (!c) {
    w.Null();
    return;
  }
  const std::string text = core::format_cents(*c);
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

}  // namespace

CartLine parse_add_item(std::string_view body) {
  const auto doc = parse_body(body);
  Errors errors;
  CartLine line;
  auto pid = doc.FindMember("productId");
  if (pid == doc.MemberEnd()) {
    errors.push_back({"productId", "is required"});
  } else if (!pid->value.IsString() || !core::is_uuid({pid->value.GetString(), pid->value.GetStringLength()})) {
    errors.push_back({"productId", "must be a UUID"});
  } else {
    line.product_id = core::ascii_lower(pid->value.GetString());
  }
  if (auto q = read_quantity(doc, 1, errors)) line.quantity = *q;
  if (!errors.empty()) throw core::invalid("Some fields are not valid.", std::move(errors));
  return line;
}

std::int64_t parse_quantity_update(std::string_view body) {
  const auto doc = parse_body(body);
  Errors errors;
  auto q = read_quantity(doc, 0, errors);
  if (!q) throw core::invalid("Some fields are not valid.", std::move(errors));
  return *q;
}

CartView view_cart(const std::vector<CartLine>& lines,
                   const std::map<std::string, products::client::CatalogProduct>& catalog) {
  CartView view;
  for (const auto& line : lines) {
    ShownLine shown;
    shown.product_id = line.product_id;
    shown.quantity = line.quantity;
    if (auto it = catalog.find(line.product_id); it != catalog.end()) {
      shown.name = it->second.name;
      shown.available = it->second.active;
      if (shown.available) {
        shown.price = it->second.price;
        shown.subtotal = it->second.price * line.quantity;
        view.total = view.total + shown.subtotal;
      }
    }
    view.items.push_back(std::move(shown));
  }
  return view;
}

std::string cart_json(const CartView& view) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& l : view.items) {
    w.StartObject();
    core::json::kv(w, "productId", l.product_id);
    w.Key("name");
    if (l.name)
      w.String(l.name->c_str(), static_cast<rapidjson::SizeType>(l.name->size()));
    else
      w.Null();
    write_money(w, "price", l.price);
    w.Key("quantity");
    w.Int64(l.quantity);
    write_money(w, "subtotal", l.subtotal);
    w.Key("available");
    w.Bool(l.available);
    w.EndObject();
  }
  w.EndArray();
  write_money(w, "total", view.total);
  core::json::kv(w, "currency", "USD");
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

CheckoutRequest parse_checkout(std::string_view body) {
  CheckoutRequest r;
  const bool blank =
      std::all_of(body.begin(), body.end(), [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  rapidjson::Document doc;
  if (blank)
    doc.SetObject();
  else
    doc = parse_body(body);
  auto addr = doc.FindMember("shippingAddress");
  if (addr != doc.MemberEnd() && !addr->value.IsNull()) {
    if (!addr->value.IsObject())
      throw core::invalid("Some fields are not valid.", {{"shippingAddress", "must be an object or null"}});
    r.shipping_address_json = core::json::to_string(addr->value);
  }
  // Only what checkout reads counts toward the fingerprint.
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("shippingAddress");
  if (addr != doc.MemberEnd())
    write_canonical(w, addr->value);
  else
    w.Null();
  w.EndObject();
  r.canonical.assign(buf.GetString(), buf.GetSize());
  return r;
}

std::string fingerprint(const CheckoutRequest& request) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(request.canonical.data(), request.canonical.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
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

std::string order_body(const std::vector<CartLine>& lines, const CheckoutRequest& request) {
  std::string body = R"({"items":[)";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) body.push_back(',');
    body += R"({"productId":")" + lines[i].product_id + R"(","quantity":)" + std::to_string(lines[i].quantity) + "}";
  }
  body += R"(],"shippingAddress":)" + request.shipping_address_json + "}";
  return body;
}

}  // namespace shopmesh::cart
