#pragma once
// The stock domain: all-or-nothing reservation plans and administrative adjustments, as plain
// functions over plain values (no SQL, no HTTP), so the rules are unit-testable.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::stock {

/// Largest level the service keeps (the catalog mirrors it in a 32-bit column).
inline constexpr std::int64_t kMaxLevel = 2'147'483'647;

/// One product and quantity of an order.
struct Line {
  std::string product_id;
  std::int64_t quantity = 0;
  bool operator==(const Line&) const = default;
};

/// Merges lines of the same product (summing, saturating) and sorts them by product id: the
/// order in which a reservation locks levels, so two reservations never deadlock.
std::vector<Line> merge_lines(const std::vector<Line>& lines);

/// What a reservation sees of one level, under its row lock.
struct LevelView {
  std::int64_t available = 0;
  bool active = true;
};

enum class RejectReason { out_of_stock, unknown_product };
std::string_view to_string(RejectReason r);

/// A line that cannot be satisfied.
struct ShortLine {
  std::string product_id;
  std::int64_t requested = 0;
  std::int64_t available = 0;
  bool operator==(const ShortLine&) const = default;
};

/// Every line reserved, or none: unknown (or deleted) products win over short ones.
struct ReservationPlan {
  bool accepted = false;
  RejectReason reason = RejectReason::out_of_stock;
  std::vector<ShortLine> short_lines;  // empty when accepted
};

/// Decides a reservation of merged `lines` against the locked `levels` (keyed by product id).
ReservationPlan plan_reservation(const std::vector<Line>& lines, const std::map<std::string, LevelView>& levels);

/// An administrative change of a level's available units: by a delta or to an absolute value.
struct Adjustment {
  enum class Kind { delta, set };
  Kind kind = Kind::delta;
  std::int64_t value = 0;
};

/// Parses `{"delta": n}` or `{"set": n}` (exactly one, an integer within ±kMaxLevel);
/// throws core::invalid naming the field.
Adjustment parse_adjustment(std::string_view body);

/// The available units after `a`, or nullopt when that would be below zero or above kMaxLevel.
std::optional<std::int64_t> adjusted(std::int64_t available, const Adjustment& a);

/// A level as the HTTP API shows it.
struct Level {
  std::string product_id;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  /// When an adjustment changed it: the `changedAt` of the STOCK_CHANGED it emitted.
  std::optional<std::string> changed_at{};
};

/// `{"productId", "available", "reserved"}`, and `changedAt` when the level was just changed.
std::string level_json(const Level& level);

}  // namespace shopmesh::stock
