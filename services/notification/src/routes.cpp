#include "routes.hpp"

#include <algorithm>
#include <cctype>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "store.hpp"

namespace shopmesh::notification {

void register_routes(core::Router& router, NotificationStore& store) {
  router.add("GET", "/api/notifications", [&store](core::Request& req) {
    // The gateway's verified identity (client copies of the header are stripped there).
    auto id = req.headers.get("X-User-Id");
    if (!id || id->empty()) throw core::unauthorized();
    if (!core::is_uuid(*id)) throw core::unauthorized("The caller's identity is not valid.");
    std::string user_id(*id);
    std::transform(user_id.begin(), user_id.end(), user_id.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return core::Response::json(200, page_json(store.list(user_id, query)));
  });
}

}  // namespace shopmesh::notification
