#pragma once
// HTTP adapters of the notification service:
//   GET /api/notifications   the caller's notifications, newest first: ?page, ?limit, ?type, ?orderId
namespace shopmesh::core {
class Router;
}

namespace shopmesh::notification {
class NotificationStore;

void register_routes(core::Router& router, NotificationStore& store);
}  // namespace shopmesh::notification
