#pragma once
// The order pipeline's stage latencies (issue #22): `order_pipeline_seconds{stage}`, seconds from the
// order's commit to the moment a stage commits, each stage exported by the service where it happens.
// Downstream services do not know the order's commit time; they take it from the order id, a UUIDv7
// whose first 48 bits are the unix milliseconds at which orders generated it, inside the order's
// transaction (so the measure starts up to that transaction's duration, a few ms, before the commit).
#include <array>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
class Histogram;
}  // namespace prometheus

namespace shopmesh::events {

enum class PipelineStage { published, stock_decided, confirmed, shipment_ready, notification_recorded };
inline constexpr std::size_t kPipelineStageCount = 5;

/// The `stage` label value of a stage.
std::string_view stage_name(PipelineStage stage);

/// When a UUIDv7 was generated (its 48-bit unix milliseconds); nullopt for any other text.
std::optional<std::chrono::system_clock::time_point> uuid_v7_time(std::string_view id);

/// Seconds from the moment order `order_id` was created (its UUIDv7 time) to `now`, never negative;
/// nullopt when the id is not a UUIDv7.
std::optional<double> seconds_since_order(std::string_view order_id, std::chrono::system_clock::time_point now);

/// The histogram family, registered once per service, with a child for each stage the service
/// exports (made up front); the other stages are not exported there.
class OrderPipeline {
 public:
  OrderPipeline(prometheus::Registry& registry, const std::vector<PipelineStage>& stages);

  /// Records `seconds` for a stage (nothing for a stage this service does not export).
  void observe(PipelineStage stage, double seconds);
  /// Records the time from order `order_id`'s creation to now; ignores ids that are not UUIDv7.
  void observe_since_order(PipelineStage stage, std::string_view order_id);
  /// A stage's histogram, or nullptr when this service does not export it.
  prometheus::Histogram* histogram(PipelineStage stage) const { return stages_[static_cast<std::size_t>(stage)]; }

 private:
  std::array<prometheus::Histogram*, kPipelineStageCount> stages_{};
};

}  // namespace shopmesh::events
