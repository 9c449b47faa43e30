#pragma once
// The shipment domain: the state machine PENDING → READY → SHIPPED → DELIVERED (or CANCELLED from
// PENDING/READY), tracking numbers, list queries and JSON. No SQL, no HTTP types.
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::shipping {

enum class Status { pending, ready, shipped, delivered, cancelled };

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);

/// One transition of a shipment, as published in SHIPMENT_STATUS_CHANGED.
struct Step {
  Status from;
  Status to;
  bool operator==(const Step&) const = default;
};

/// The transitions that take a shipment from `from` to `target`, one status at a time
/// (PENDING → SHIPPED is PENDING → READY → SHIPPED), or none when `target` is not ahead of
/// `from`: a terminal status never changes, a shipped one is never cancelled, nothing moves back.
/// Events of one order arrive on two topics, so a request for a status already passed is normal.
std::vector<Step> steps_towards(Status from, Status target);

/// The transitions a shipment went through before it was announced (ORDER_CREATED arrived after
/// stock or order events): replayed after SHIPMENT_CREATED so that readers see every step.
std::vector<Step> history_of(Status current, bool has_tracking_number);

/// Whether a shipment in this status must carry a tracking number.
bool needs_tracking_number(Status s);

/// "SM" + 12 characters from [0-9A-Z].
std::string tracking_number(std::mt19937_64& rng);

/// A shipment as the HTTP API shows it. `address_json` is a JSON object or "null".
struct Shipment {
  std::string id;
  std::string order_id;
  std::optional<std::string> user_id;
  Status status = Status::pending;
  std::optional<std::string> tracking_number;
  std::string address_json = "null";
  std::string created_at;
  std::string updated_at;
};

/// `{id, orderId, userId, status, trackingNumber, address, createdAt, updatedAt}`.
std::string shipment_json(const Shipment& s);

/// Looks up a decoded query parameter by name.
using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;

/// A validated `GET /api/shipments` query (without orderId, which selects a single shipment).
struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<Status> status;
  std::optional<std::string> user_id;  // admins may filter by owner
};

/// Parses page, limit (1..100), status and userId; throws core::invalid naming each bad one.
ListQuery parse_list_query(const ParamLookup& param);

struct Page {
  std::vector<Shipment> items;
  int page = 1;
  int limit = 20;
  std::int64_t total = 0;
};

std::string page_json(const Page& page);

}  // namespace shopmesh::shipping
