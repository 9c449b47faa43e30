#include "shopmesh/stock/levels.hpp"

#include <algorithm>
#include <limits>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"

namespace shopmesh::stock {

std::vector<Line> merge_lines(const std::vector<Line>& lines) {
  std::map<std::string, std::int64_t> totals;
  for (const auto& line : lines) {
    auto& total = totals[line.product_id];
    total = line.quantity > std::numeric_limits<std::int64_t>::max() - total ? std::numeric_limits<std::int64_t>::max()
                                                                             : total + line.quantity;
  }
  std::vector<Line> merged;
  merged.reserve(totals.size());
  for (const auto& [product_id, quantity] : totals) merged.push_back({product_id, quantity});
  return merged;  // std::map iterates in product id order
}

std::string_view to_string(RejectReason r) {
  return r == RejectReason::unknown_product ? "UNKNOWN_PRODUCT" : "OUT_OF_STOCK";
}

ReservationPlan plan_reservation(const std::vector<Line>& lines, const std::map<std::string, LevelView>& levels) {
  ReservationPlan unknown{false, RejectReason::unknown_product, {}};
  ReservationPlan short_of{false, RejectReason::out_of_stock, {}};
  for (const auto& line : lines) {
    auto it = levels.find(line.product_id);
    if (it == levels.end() || !it->second.active) {
      unknown.short_lines.push_back({line.product_id, line.quantity, 0});
    } else if (it->second.available < line.quantity) {
      short_of.short_lines.push_back({line.product_id, line.quantity, it->second.available});
    }
  }
  if (!unknown.short_lines.empty()) return unknown;
  if (!short_of.short_lines.empty()) return short_of;
  return {true, RejectReason::out_of_stock, {}};
}

Adjustment parse_adjustment(std::string_view body) {
  auto doc = core::json::parse_object(body);
  const bool has_delta = doc.HasMember("delta");
  const bool has_set = doc.HasMember("set");
  if (has_delta == has_set)
    throw core::invalid("Give exactly one of delta and set.",
                            {{has_delta ? "set" : "delta", "exactly one of delta and set is required"}});
  const char* field = has_delta ? "delta" : "set";
  const auto& v = doc[field];
  if (!v.IsInt64()) throw core::invalid("The adjustment must be an integer.", {{field, "must be an integer"}});
  const std::int64_t value = v.GetInt64();
  if (value > kMaxLevel || value < -kMaxLevel)
    throw core::invalid(
        "The adjustment is out of range.",
        {{field, "must be between -" + std::to_string(kMaxLevel) + " and " + std::to_string(kMaxLevel)}});
  return {has_delta ? Adjustment::Kind::delta : Adjustment::Kind::set, value};
}

std::optional<std::int64_t> adjusted(std::int64_t available, const Adjustment& a) {
  const std::int64_t next = a.kind == Adjustment::Kind::set ? a.value : available + a.value;  // both within ±2^31
  if (next < 0 || next > kMaxLevel) return std::nullopt;
  return next;
}

std::string level_json(const Level& level) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "productId", level.product_id);
  w.Key("available");
  w.Int64(level.available);
  w.Key("reserved");
  w.Int64(level.reserved);
  if (level.changed_at) core::json::kv(w, "changedAt", *level.changed_at);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace shopmesh::stock
