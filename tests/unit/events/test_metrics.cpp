// The arithmetic behind issue #22's consumer lag and order pipeline series.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>

#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/consumer_lag.hpp"
#include "shopmesh/events/pipeline.hpp"

using namespace shopmesh::events;

TEST_CASE("consumer lag: watermark minus the next offset, never negative, 0 when unknown", "[events][metrics]") {
  CHECK(partition_lag(100, 90) == 10);
  CHECK(partition_lag(100, 100) == 0);
  CHECK(partition_lag(100, 105) == 0);  // a watermark cached before the last fetch
  CHECK(partition_lag(-1001, 5) == 0);  // librdkafka's OFFSET_INVALID: nothing fetched yet
  CHECK(partition_lag(7, -1001) == 0);
  CHECK(partition_lag(0, 0) == 0);
}

TEST_CASE("consumer lag seconds: 0 without lag, else the age of the oldest pending message", "[events][metrics]") {
  const std::int64_t now = 1'000'000;
  CHECK(lag_seconds(0, {900'000, 800'000, 850'000}, now) == 0.0);
  // A batch in progress: its oldest message's Kafka timestamp.
  CHECK(lag_seconds(3, {997'500, 999'000, std::nullopt}, now) == Approx(2.5));
  // Nothing fetched yet: the last processed message's, or the moment the lag was first seen when
  // that is later (a message after a long quiet spell is not as old as the quiet spell).
  CHECK(lag_seconds(1, {std::nullopt, 990'000, std::nullopt}, now) == Approx(10.0));
  CHECK(lag_seconds(1, {std::nullopt, 100'000, 999'000}, now) == Approx(1.0));
  CHECK(lag_seconds(1, {std::nullopt, std::nullopt, 996'000}, now) == Approx(4.0));
  CHECK(lag_seconds(1, {}, now) == 0.0);
  CHECK(lag_seconds(2, {1'000'500, std::nullopt, std::nullopt}, now) == 0.0);  // clocks a little apart
}

TEST_CASE("order pipeline: a v7 id tells when it was generated, to the millisecond", "[events][metrics]") {
  using namespace std::chrono;
  const auto before = time_point_cast<milliseconds>(system_clock::now());
  const auto id = shopmesh::core::uuid_v7();
  const auto after = system_clock::now();
  const auto t = uuid_v7_time(id);
  REQUIRE(t.has_value());
  CHECK(*t >= before);
  CHECK(*t <= after);
  // 0x0190a3c27b1e ms = 1720734350110 (2024-07-11T21:45:50.110Z); upper case too.
  CHECK(uuid_v7_time("0190a3c2-7b1e-7c3d-8e4f-123456789abc")->time_since_epoch() == milliseconds(1720734350110));
  CHECK(uuid_v7_time("0190A3C2-7B1E-7C3D-8E4F-123456789ABC")->time_since_epoch() == milliseconds(1720734350110));
  CHECK_FALSE(uuid_v7_time("0190a3c2-7b1e-4c3d-8e4f-123456789abc"));  // v4
  CHECK_FALSE(uuid_v7_time("not-a-uuid"));
}

TEST_CASE("order pipeline: stage names, the order's age from its id, only the stages a service exports",
          "[events][metrics]") {
  CHECK(stage_name(PipelineStage::published) == "published");
  CHECK(stage_name(PipelineStage::stock_decided) == "stock_decided");
  CHECK(stage_name(PipelineStage::confirmed) == "confirmed");
  CHECK(stage_name(PipelineStage::shipment_ready) == "shipment_ready");
  CHECK(stage_name(PipelineStage::notification_recorded) == "notification_recorded");

  using namespace std::chrono;
  const auto created = system_clock::time_point(milliseconds(1720734350110));
  const auto age = seconds_since_order("0190a3c2-7b1e-7c3d-8e4f-123456789abc", created + milliseconds(1250));
  REQUIRE(age.has_value());
  CHECK(*age == Approx(1.25));
  CHECK(seconds_since_order("0190a3c2-7b1e-7c3d-8e4f-123456789abc", created - seconds(1)) == 0.0);
  CHECK_FALSE(seconds_since_order("0190a3c2-7b1e-4c3d-8e4f-123456789abc", created));

  prometheus::Registry registry;
  OrderPipeline pipeline(registry, {PipelineStage::published, PipelineStage::confirmed});
  pipeline.observe(PipelineStage::published, 0.004);
  pipeline.observe(PipelineStage::stock_decided, 1.0);  // not this service's stage: dropped
  pipeline.observe_since_order(PipelineStage::confirmed, shopmesh::core::uuid_v7());
  pipeline.observe_since_order(PipelineStage::confirmed, "not-an-order-id");
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find("order_pipeline_seconds_count{stage=\"published\"} 1") != std::string::npos);
  CHECK(text.find("order_pipeline_seconds_count{stage=\"confirmed\"} 1") != std::string::npos);
  CHECK(text.find("order_pipeline_seconds_bucket{stage=\"published\",le=\"0.005\"} 1") != std::string::npos);
  CHECK(text.find("order_pipeline_seconds_bucket{stage=\"confirmed\",le=\"60\"} 1") != std::string::npos);
  CHECK(text.find("stock_decided") == std::string::npos);
}
