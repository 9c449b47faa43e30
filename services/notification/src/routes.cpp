#include "shopmesh/notification/routes.hpp"

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/notification/store.hpp"

namespace shopmesh::notification {

void register_routes(core::Router& router, NotificationStore& store) {
  router.add("GET", "/api/notifications", [&store](core::Request& req) {
    // The gateway's verified identity (client copies of the header are stripped there).
    const std::string user_id = core::require_caller(req).user_id;
    const auto query = parse_list_query([&](std::string_view name) { return req.query_param(name); });
    return core::Response::json(200, page_json(store.list(user_id, query)));
  });
}

}  // namespace shopmesh::notification
