#include "shopmesh/gateway/dialects/seed003.hpp"

#include <cstdint>
#include <vector>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/gateway/dialects/json.hpp"

namespace shopmesh::gateway::seed003 {
namespace {

using core::json::Writer;
using dialect_json::member;
using dialect_json::write;
using rapidjson::Value;

constexpr std::string_view kCategory = "Books";
constexpr std::string_view kDefaultSize = "50";

void write_book(Writer& w, const Value& product) {
  w.StartObject();
  write(w, "id", member(product, "id"));
  write(w, "title", member(product, "name"));
  const Value* attributes = member(product, "attributes");
  const Value* author = attributes ? member(*attributes, "author") : nullptr;
  if (author && author->IsString())
    write(w, "author", author);
  else
    core::json::kv(w, "author", "");
  write(w, "price", member(product, "price"));
  write(w, "stock", member(product, "stock"));
  w.EndObject();
}

void write_order(Writer& w, const Value& order) {
  const Value* items = member(order, "items");
  const Value* first = items && items->IsArray() && !items->Empty() ? &(*items)[0] : nullptr;
  std::int64_t quantity = 0;
  if (items && items->IsArray())
    for (const auto& line : items->GetArray())
      if (const Value* q = member(line, "quantity"); q && q->IsInt64()) quantity += q->GetInt64();
  w.StartObject();
  write(w, "id", member(order, "id"));
  write(w, "user_id", member(order, "userId"));
  write(w, "book_id", first ? member(*first, "productId") : nullptr);
  w.Key("quantity");
  w.Int64(quantity);
  write(w, "total_price", member(order, "totalAmount"));
  const Value* status = member(order, "status");
  if (status && status->IsString())
    core::json::kv(w, "status", core::ascii_lower(status->GetString()));
  else
    write(w, "status", status);
  write(w, "created_at", member(order, "createdAt"));
  w.EndObject();
}

}  // namespace

std::string books_query(std::string_view query) {
  std::string out = "?category=" + std::string(kCategory);
  bool limited = false;
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::string_view name = pair.substr(0, pair.find('='));
    if (pair.empty() || name == "category") continue;
    out += '&';
    if (name == "size") {
      out += "limit";
      out += pair.substr(name.size());
    } else {
      out += pair;
    }
    limited = limited || name == "size" || name == "limit";
  }
  if (!limited) out += "&limit=" + std::string(kDefaultSize);
  return out;
}

std::string product_from_book(std::string_view book, bool whole) {
  const auto doc = dialect_json::client_body(book);
  std::vector<core::FieldError> errors;
  // A member to map: absent (or null in a partial update) is nullptr; a wrong type is an error.
  auto field = [&](const char* name, bool (Value::*is)() const, const char* expected) -> const Value* {
    const Value* v = member(doc, name);
    if (v == nullptr || (v->IsNull() && !whole)) {
      if (whole) errors.push_back({name, "is required"});
      return nullptr;
    }
    if (!(v->*is)()) {
      errors.push_back({name, expected});
      return nullptr;
    }
    return v;
  };
  const Value* title = field("title", &Value::IsString, "must be a string");
  const Value* author = field("author", &Value::IsString, "must be a string");
  const Value* price = field("price", &Value::IsNumber, "must be a number");
  const Value* stock = field("stock", &Value::IsInt64, "must be an integer");
  if (!errors.empty()) throw core::invalid("The book is not valid.", std::move(errors));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  if (title) write(w, "name", title);
  if (price) write(w, "price", price);
  if (stock) write(w, "stock", stock);
  if (whole) core::json::kv(w, "category", kCategory);
  if (author) {
    w.Key("attributes");
    w.StartObject();
    write(w, "author", author);
    w.EndObject();
  }
  w.EndObject();
  return dialect_json::text(buf);
}

std::string book_from_product(std::string_view product) { return dialect_json::rewrite_answer(product, write_book); }

std::string books_page(std::string_view products_page) {
  const auto doc = dialect_json::answer_body(products_page);
  const Value* items = member(doc, "items");
  const Value* total = member(doc, "total");
  const Value* limit = member(doc, "limit");
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  if (items && items->IsArray())
    for (const auto& product : items->GetArray()) write_book(w, product);
  w.EndArray();
  write(w, "total", total);
  write(w, "page", member(doc, "page"));
  write(w, "size", limit);
  w.Key("pages");
  if (total && total->IsInt64() && limit && limit->IsInt64() && limit->GetInt64() > 0)
    w.Int64((total->GetInt64() + limit->GetInt64() - 1) / limit->GetInt64());
  else
    w.Null();
  w.EndObject();
  return dialect_json::text(buf);
}

std::string order_from_seed(std::string_view order) {
  const auto doc = dialect_json::client_body(order);
  std::vector<core::FieldError> errors;
  const Value* book = member(doc, "book_id");
  const Value* quantity = member(doc, "quantity");
  if (book == nullptr || book->IsNull())
    errors.push_back({"book_id", "is required"});
  else if (!book->IsString())
    errors.push_back({"book_id", "must be a string (a book's id)"});
  if (quantity == nullptr || quantity->IsNull())
    errors.push_back({"quantity", "is required"});
  else if (!quantity->IsInt64())
    errors.push_back({"quantity", "must be an integer"});
  if (!errors.empty()) throw core::invalid("The order is not valid.", std::move(errors));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  w.StartObject();
  write(w, "productId", book);
  write(w, "quantity", quantity);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return dialect_json::text(buf);
}

std::string seed_order(std::string_view order) { return dialect_json::rewrite_answer(order, write_order); }

std::string seed_orders(std::string_view orders_page) {
  return dialect_json::rewrite_answer(orders_page, [](Writer& w, const Value& doc) {
    const Value* items = member(doc, "items");
    w.StartArray();
    if (items && items->IsArray())
      for (const auto& order : items->GetArray()) write_order(w, order);
    w.EndArray();
  });
}

}  // namespace shopmesh::gateway::seed003
