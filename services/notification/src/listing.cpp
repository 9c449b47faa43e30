#include "listing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::notification {
namespace {

std::optional<int> parse_int(const std::string& text) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

void optional_string(core::json::Writer& w, const char* key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v)
    w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
  else
    w.Null();
}

}  // namespace

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  std::vector<core::FieldError> errors;
  if (auto v = param("page")) {
    auto n = parse_int(*v);
    if (!n || *n < 1)
      errors.push_back({"page", "must be an integer >= 1"});
    else
      q.page = *n;
  }
  if (auto v = param("limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 100)
      errors.push_back({"limit", "must be an integer between 1 and 100"});
    else
      q.limit = *n;
  }
  if (auto v = param("type")) {
    const bool ok = !v->empty() && v->size() <= 64 &&
                    std::all_of(v->begin(), v->end(), [](unsigned char c) { return std::isupper(c) || c == '_'; });
    if (!ok)
      errors.push_back({"type", "must be an event type such as ORDER_CONFIRMED"});
    else
      q.type = *v;
  }
  if (auto v = param("orderId")) {
    if (!core::is_uuid(*v))
      errors.push_back({"orderId", "must be a UUID"});
    else
      q.order_id = *v;
  }
  if (!errors.empty()) throw core::bad_request("The query parameters are not valid.", std::move(errors));
  return q;
}

std::string page_json(const Page& page) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& n : page.items) {
    w.StartObject();
    core::json::kv(w, "id", n.id);
    core::json::kv(w, "type", n.type);
    core::json::kv(w, "channel", n.channel);
    core::json::kv(w, "subject", n.subject);
    core::json::kv(w, "body", n.body);
    optional_string(w, "orderId", n.order_id);
    core::json::kv(w, "createdAt", n.created_at);
    optional_string(w, "deliveredAt", n.delivered_at);
    w.EndObject();
  }
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

}  // namespace shopmesh::notification
