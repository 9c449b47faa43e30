#include "shopmesh/notification/listing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::notification {
namespace {

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
  core::read_paging(param, q.page, q.limit, errors);
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
  if (!errors.empty()) throw core::invalid("The query parameters are not valid.", std::move(errors));
  return q;
}

std::string page_json(const Page& page) {
  return core::json::page_json(page.items, page.page, page.limit, page.total,
                               [](core::json::Writer& w, const Notification& n) {
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
                               });
}

}  // namespace shopmesh::notification
