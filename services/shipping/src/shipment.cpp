#include "shopmesh/shipping/shipment.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::shipping {
namespace {

// Position on the forward path; CANCELLED is off the path.
int rank(Status s) {
  switch (s) {
    case Status::pending:
      return 0;
    case Status::ready:
      return 1;
    case Status::shipped:
      return 2;
    case Status::delivered:
      return 3;
    case Status::cancelled:
      return -1;
  }
  return -1;
}

constexpr Status kPath[] = {Status::pending, Status::ready, Status::shipped, Status::delivered};

bool terminal(Status s) {
  return s == Status::delivered || s == Status::cancelled;
}

void write_shipment(core::json::Writer& w, const Shipment& s) {
  w.StartObject();
  core::json::kv(w, "id", s.id);
  core::json::kv(w, "orderId", s.order_id);
  w.Key("userId");
  if (s.user_id)
    w.String(s.user_id->c_str(), static_cast<rapidjson::SizeType>(s.user_id->size()));
  else
    w.Null();
  core::json::kv(w, "status", to_string(s.status));
  w.Key("trackingNumber");
  if (s.tracking_number)
    w.String(s.tracking_number->c_str(), static_cast<rapidjson::SizeType>(s.tracking_number->size()));
  else
    w.Null();
  w.Key("address");
  w.RawValue(s.address_json.c_str(), s.address_json.size(),
             s.address_json == "null" ? rapidjson::kNullType : rapidjson::kObjectType);
  core::json::kv(w, "createdAt", s.created_at);
  core::json::kv(w, "updatedAt", s.updated_at);
  w.EndObject();
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pending:
      return "PENDING";
    case Status::ready:
      return "READY";
    case Status::shipped:
      return "SHIPPED";
    case Status::delivered:
      return "DELIVERED";
    case Status::cancelled:
      return "CANCELLED";
  }
  return "PENDING";
}

std::optional<Status> parse_status(std::string_view text) {
  for (Status s : {Status::pending, Status::ready, Status::shipped, Status::delivered, Status::cancelled})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::vector<Step> steps_towards(Status from, Status target) {
  if (terminal(from) || from == target) return {};
  if (target == Status::cancelled) {
    if (from == Status::shipped) return {};
    return {{from, Status::cancelled}};
  }
  std::vector<Step> steps;
  for (int r = rank(from); r < rank(target); ++r) steps.push_back({kPath[r], kPath[r + 1]});
  return steps;
}

std::vector<Step> history_of(Status current, bool has_tracking_number) {
  if (current != Status::cancelled) return steps_towards(Status::pending, current);
  if (has_tracking_number) return {{Status::pending, Status::ready}, {Status::ready, Status::cancelled}};
  return {{Status::pending, Status::cancelled}};
}

bool needs_tracking_number(Status s) {
  return rank(s) >= rank(Status::ready);
}

std::string tracking_number(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::uniform_int_distribution<int> pick(0, 35);
  std::string out = "SM";
  for (int i = 0; i < 12; ++i) out += kAlphabet[pick(rng)];
  return out;
}

std::string shipment_json(const Shipment& s) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  write_shipment(w, s);
  return {buf.GetString(), buf.GetSize()};
}

ListQuery parse_list_query(const ParamLookup& param) {
  ListQuery q;
  std::vector<core::FieldError> errors;
  core::read_paging(param, q.page, q.limit, errors);
  if (auto v = param("status")) {
    q.status = parse_status(*v);
    if (!q.status) errors.push_back({"status", "must be one of PENDING, READY, SHIPPED, DELIVERED, CANCELLED"});
  }
  if (auto v = param("userId")) {
    if (!core::is_uuid(*v)) errors.push_back({"userId", "must be a UUID"});
    std::string id = *v;
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char ch) { return std::tolower(ch); });
    q.user_id = id;
  }
  if (!errors.empty()) throw core::invalid("The query parameters are not valid.", std::move(errors));
  return q;
}

std::string page_json(const Page& page) {
  return core::json::page_json(page.items, page.page, page.limit, page.total,
                               [](core::json::Writer& w, const auto& s) { write_shipment(w, s); });
}

}  // namespace shopmesh::shipping
