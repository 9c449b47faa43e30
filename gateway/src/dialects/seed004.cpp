#include "shopmesh/gateway/dialects/seed004.hpp"

#include <cctype>
#include <cstdint>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/gateway/dialects/json.hpp"

namespace shopmesh::gateway::seed004 {
namespace {

using core::json::Writer;
using dialect_json::member;
using dialect_json::write;
using rapidjson::Value;

constexpr std::size_t kUuidLength = 36;

// The fields of a Shopmesh product a seed 004 client may send (others, like sellerId, are dropped).
constexpr const char* kProductFields[] = {"sku",   "name",         "description", "price",  "stock",
                                          "initialStock", "category", "imageUrl",  "active", "attributes"};

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

void copy_members(Writer& w, const Value& object) {
  for (const auto& m : object.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    m.value.Accept(w);
  }
}

void write_seed_product(Writer& w, const Value& product) {
  if (!product.IsObject()) {
    product.Accept(w);
    return;
  }
  w.StartObject();
  copy_members(w, product);
  w.Key("images");
  w.StartArray();
  if (const Value* url = member(product, "imageUrl"); url && url->IsString()) {
    w.StartObject();
    write(w, "url", url);
    w.Key("index");
    w.Int(0);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// images: [{url, index}] as seed 004's Postman collection sends them, or [url] as its DTO reads them.
const Value* first_image_url(const Value& product) {
  const Value* images = member(product, "images");
  if (images == nullptr || !images->IsArray() || images->Empty()) return nullptr;
  const Value& first = (*images)[0];
  const Value* url = first.IsString() ? &first : member(first, "url");
  return url && url->IsString() ? url : nullptr;
}

}  // namespace

std::string quote_bare_ids(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 8);
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      out += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    const bool bare_id = (i == 0 || !is_word(body[i - 1])) && i + kUuidLength <= body.size() &&
                         core::is_uuid(body.substr(i, kUuidLength)) &&
                         (i + kUuidLength == body.size() || !is_word(body[i + kUuidLength]));
    if (!bare_id) {
      out += c;
      continue;
    }
    out += '"';
    out.append(body.substr(i, kUuidLength));
    out += '"';
    i += kUuidLength - 1;
  }
  return out;
}

std::string success(int status, std::string_view data) {
  std::string out = R"({"success":true,"statusCode":)" + std::to_string(status) + R"(,"data":)";
  out += data.empty() ? std::string_view("null") : data;
  out += '}';
  return out;
}

std::string failure(int status, std::string_view problem, std::string_view path, std::string_view timestamp) {
  rapidjson::Document doc;
  doc.Parse<core::json::kRequestParseFlags>(problem.data(), problem.size());
  if (doc.HasParseError()) doc.SetObject();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("success");
  w.Bool(false);
  w.Key("statusCode");
  w.Int(status);
  core::json::kv(w, "timestamp", timestamp);
  core::json::kv(w, "path", path);
  const Value* detail = member(doc, "detail");
  if (detail == nullptr || !detail->IsString()) detail = member(doc, "title");
  if (detail && detail->IsString())
    write(w, "error", detail);
  else
    core::json::kv(w, "error", core::reason_phrase(status));
  if (const Value* errors = member(doc, "errors"); errors && errors->IsArray()) write(w, "errors", errors);
  if (const Value* id = member(doc, "requestId"); id && id->IsString()) write(w, "requestId", id);
  w.EndObject();
  return dialect_json::text(buf);
}

std::string login(std::string_view token_pair) {
  const auto doc = dialect_json::answer_body(token_pair);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  write(w, "accessToken", member(doc, "access_token"));
  write(w, "refreshToken", member(doc, "refresh_token"));
  write(w, "tokenType", member(doc, "token_type"));
  write(w, "expiresIn", member(doc, "expires_in"));
  write(w, "user", member(doc, "user"));
  w.EndObject();
  return dialect_json::text(buf);
}

std::string product_from_seed(std::string_view product) {
  const auto doc = dialect_json::client_body(quote_bare_ids(product));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const char* field : kProductFields)
    if (const Value* v = member(doc, field)) write(w, field, v);
  if (member(doc, "imageUrl") == nullptr)
    if (const Value* url = first_image_url(doc)) write(w, "imageUrl", url);
  w.EndObject();
  return dialect_json::text(buf);
}

std::string seed_product(std::string_view product) {
  return dialect_json::rewrite_answer(product, write_seed_product);
}

std::string products_page(std::string_view page) {
  const auto doc = dialect_json::answer_body(page);
  const Value* items = member(doc, "items");
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("data");
  w.StartArray();
  if (items && items->IsArray())
    for (const auto& product : items->GetArray()) write_seed_product(w, product);
  w.EndArray();
  write(w, "total", member(doc, "total"));
  write(w, "page", member(doc, "page"));
  write(w, "limit", member(doc, "limit"));
  w.EndObject();
  return dialect_json::text(buf);
}

std::string users(std::string_view page) {
  const auto doc = dialect_json::answer_body(page);
  const Value* items = member(doc, "items");
  if (items == nullptr || !items->IsArray()) return "[]";
  return core::json::to_string(*items);
}

std::string cart_item_from_seed(std::string_view item) {
  const auto doc = dialect_json::client_body(quote_bare_ids(item));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const char* field : {"productId", "quantity"})
    if (const Value* v = member(doc, field)) write(w, field, v);
  w.EndObject();
  return dialect_json::text(buf);
}

std::string seed_cart(std::string_view cart, std::string_view user_id) {
  const auto doc = dialect_json::answer_body(cart);
  const Value* items = member(doc, "items");
  std::int64_t count = 0;
  if (items && items->IsArray())
    for (const auto& line : items->GetArray())
      if (const Value* q = member(line, "quantity"); q && q->IsInt64()) count += q->GetInt64();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  core::json::kv(w, "userId", user_id);
  write(w, "items", items);
  write(w, "totalPrice", member(doc, "total"));
  w.Key("totalItems");
  w.Int64(count);
  write(w, "total", member(doc, "total"));
  w.EndObject();
  return dialect_json::text(buf);
}

std::string order_from_seed(std::string_view order) {
  const auto doc = dialect_json::client_body(quote_bare_ids(order));
  const Value* lines = member(doc, "products");
  if (lines == nullptr) lines = member(doc, "items");
  if (lines == nullptr || !lines->IsArray())
    throw core::invalid("The order is not valid.", {{"products", "must be a list of {productId, quantity}"}});
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& line : lines->GetArray()) {
    if (!line.IsObject()) {
      line.Accept(w);  // the orders service names it
      continue;
    }
    w.StartObject();
    for (const char* field : {"productId", "quantity"})
      if (const Value* v = member(line, field)) write(w, field, v);
    w.EndObject();
  }
  w.EndArray();
  if (const Value* address = member(doc, "shippingAddress")) write(w, "shippingAddress", address);
  w.EndObject();
  return dialect_json::text(buf);
}

std::string seed_order(std::string_view order) {
  const auto doc = dialect_json::answer_body(order);
  if (!doc.IsObject()) return std::string(order);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& m : doc.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) != "items" || !m.value.IsArray()) {
      m.value.Accept(w);
      continue;
    }
    w.StartArray();
    for (const auto& line : m.value.GetArray()) {
      if (!line.IsObject()) {
        line.Accept(w);
        continue;
      }
      w.StartObject();
      copy_members(w, line);
      write(w, "price", member(line, "unitPrice"));
      write(w, "name", member(line, "productName"));
      w.EndObject();
    }
    w.EndArray();
  }
  write(w, "totalPrice", member(doc, "totalAmount"));
  w.EndObject();
  return dialect_json::text(buf);
}

}  // namespace shopmesh::gateway::seed004
