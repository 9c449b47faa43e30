#pragma once
// The notification list of GET /api/notifications: query parsing and JSON (no SQL, no HTTP types).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::notification {

/// A notification as the HTTP API shows it.
struct Notification {
  std::string id;
  std::string type;
  std::string channel;
  std::string subject;
  std::string body;
  std::optional<std::string> order_id;
  std::string created_at;
  std::optional<std::string> delivered_at;
};

struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<std::string> type;
  std::optional<std::string> order_id;
};

struct Page {
  std::vector<Notification> items;
  int page = 1;
  int limit = 20;
  std::int64_t total = 0;
};

using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;
/// Parses page, limit (1..100), type and orderId; throws core::invalid naming each bad one.
ListQuery parse_list_query(const ParamLookup& param);
std::string page_json(const Page& page);

}  // namespace shopmesh::notification
