#include "shopmesh/events/pipeline.hpp"

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cstdint>

#include "shopmesh/core/uuid.hpp"

namespace shopmesh::events {

std::string_view stage_name(PipelineStage stage) {
  switch (stage) {
    case PipelineStage::published: return "published";
    case PipelineStage::stock_decided: return "stock_decided";
    case PipelineStage::confirmed: return "confirmed";
    case PipelineStage::shipment_ready: return "shipment_ready";
    case PipelineStage::notification_recorded: return "notification_recorded";
  }
  return "unknown";
}

std::optional<std::chrono::system_clock::time_point> uuid_v7_time(std::string_view id) {
  if (!core::is_uuid(id) || id[14] != '7') return std::nullopt;
  std::uint64_t ms = 0;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12}) {
    const char c = id[i];
    const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    ms = (ms << 4) | static_cast<std::uint64_t>(v);
  }
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::optional<double> seconds_since_order(std::string_view order_id, std::chrono::system_clock::time_point now) {
  const auto created = uuid_v7_time(order_id);
  if (!created) return std::nullopt;
  return std::max(0.0, std::chrono::duration<double>(now - *created).count());
}

OrderPipeline::OrderPipeline(prometheus::Registry& registry, const std::vector<PipelineStage>& stages) {
  auto& family = prometheus::BuildHistogram()
                     .Name("order_pipeline_seconds")
                     .Help("Seconds from an order's commit to the commit of a stage of its pipeline, by stage")
                     .Register(registry);
  const prometheus::Histogram::BucketBoundaries buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                        1,     2.5,  5,     10,   30,  60};
  for (const PipelineStage stage : stages)
    stages_[static_cast<std::size_t>(stage)] = &family.Add({{"stage", std::string(stage_name(stage))}}, buckets);
}

void OrderPipeline::observe(PipelineStage stage, double seconds) {
  if (auto* histogram = stages_[static_cast<std::size_t>(stage)]) histogram->Observe(seconds);
}

void OrderPipeline::observe_since_order(PipelineStage stage, std::string_view order_id) {
  if (auto seconds = seconds_since_order(order_id, std::chrono::system_clock::now())) observe(stage, *seconds);
}

}  // namespace shopmesh::events
