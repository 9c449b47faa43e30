#include "routes.hpp"

#include <algorithm>
#include <cctype>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "store.hpp"

namespace shopmesh::shipping {
namespace {

using core::Request;
using core::Response;

struct Caller {
  std::string user_id;
  bool admin = false;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// The gateway's verified identity (client copies of these headers are stripped there).
Caller caller(const Request& req) {
  auto id = req.headers.get("X-User-Id");
  if (!id || id->empty()) throw core::unauthorized();
  if (!core::is_uuid(*id)) throw core::unauthorized("The caller's identity is not valid.");
  return {lower(std::string(*id)), req.headers.get("X-User-Role").value_or("") == "ADMIN"};
}

Response visible(const Caller& c, const std::optional<Shipment>& s) {
  if (!s || (!c.admin && s->user_id != c.user_id)) throw core::not_found("No shipment with this id.");
  return Response::json(200, shipment_json(*s));
}

}  // namespace

void register_routes(core::Router& router, ShipmentStore& store) {
  router.add("GET", "/api/shipments", [&store](Request& req) {
    const Caller c = caller(req);
    if (auto order_id = req.query_param("orderId")) {
      if (!core::is_uuid(*order_id))
        throw core::bad_request("orderId must be a UUID.", {{"orderId", "must be a UUID"}});
      return visible(c, store.find_by_order(lower(*order_id)));
    }
    const auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return Response::json(200, page_json(store.list(query, c.admin ? std::nullopt : std::optional(c.user_id))));
  });
  router.add("GET", "/api/shipments/{id}", [&store](Request& req) {
    const Caller c = caller(req);
    const std::string& id = req.param("id");
    if (!core::is_uuid(id)) throw core::not_found("No shipment with this id.");
    return visible(c, store.find(lower(id)));
  });
}

}  // namespace shopmesh::shipping
