#include <catch2/catch.hpp>
#include <limits>

#include "shopmesh/core/http.hpp"
#include "shopmesh/stock/levels.hpp"

using namespace shopmesh;
using stock::Line;

namespace {
const std::string kA = "0190a000-0000-7000-8000-00000000000a";
const std::string kB = "0190a000-0000-7000-8000-00000000000b";
const std::string kC = "0190a000-0000-7000-8000-00000000000c";
}  // namespace

TEST_CASE("stock: lines are merged per product and sorted by product id (the lock order)", "[stock]") {
  auto merged = stock::merge_lines({{kC, 1}, {kA, 2}, {kC, 3}, {kB, 1}});
  REQUIRE(merged.size() == 3);
  CHECK(merged[0] == Line{kA, 2});
  CHECK(merged[1] == Line{kB, 1});
  CHECK(merged[2] == Line{kC, 4});
  auto huge = stock::merge_lines({{kA, std::numeric_limits<std::int64_t>::max()}, {kA, 5}});
  CHECK(huge[0].quantity == std::numeric_limits<std::int64_t>::max());  // saturates, never wraps
}

TEST_CASE("stock: a reservation takes every line or none", "[stock]") {
  std::map<std::string, stock::LevelView> levels{{kA, {5, true}}, {kB, {1, true}}};
  SECTION("enough of everything") {
    auto plan = stock::plan_reservation({{kA, 5}, {kB, 1}}, levels);
    CHECK(plan.accepted);
    CHECK(plan.short_lines.empty());
  }
  SECTION("one line short rejects the whole order and names the short line") {
    auto plan = stock::plan_reservation({{kA, 2}, {kB, 2}}, levels);
    CHECK_FALSE(plan.accepted);
    CHECK(plan.reason == stock::RejectReason::out_of_stock);
    REQUIRE(plan.short_lines.size() == 1);
    CHECK(plan.short_lines[0] == stock::ShortLine{kB, 2, 1});
  }
  SECTION("an unknown product wins over a short one") {
    auto plan = stock::plan_reservation({{kA, 9}, {kC, 1}}, levels);
    CHECK_FALSE(plan.accepted);
    CHECK(plan.reason == stock::RejectReason::unknown_product);
    REQUIRE(plan.short_lines.size() == 1);
    CHECK(plan.short_lines[0] == stock::ShortLine{kC, 1, 0});
    CHECK(stock::to_string(plan.reason) == "UNKNOWN_PRODUCT");
  }
  SECTION("a deleted product counts as unknown") {
    levels[kA].active = false;
    auto plan = stock::plan_reservation({{kA, 1}}, levels);
    CHECK(plan.reason == stock::RejectReason::unknown_product);
  }
}

TEST_CASE("stock: adjustments parse exactly one of delta and set", "[stock]") {
  auto delta = stock::parse_adjustment(R"({"delta": -3})");
  CHECK(delta.kind == stock::Adjustment::Kind::delta);
  CHECK(delta.value == -3);
  auto set = stock::parse_adjustment(R"({"set": 12})");
  CHECK(set.kind == stock::Adjustment::Kind::set);
  CHECK(set.value == 12);
  auto status_of = [](const char* body) {
    try {
      stock::parse_adjustment(body);
    } catch (const core::DomainError& e) {
      return core::status_of(e.fault());
    }
    return 200;
  };
  CHECK(status_of(R"({})") == 400);
  CHECK(status_of(R"({"delta": 1, "set": 2})") == 400);
  CHECK(status_of(R"({"delta": 1.5})") == 400);
  CHECK(status_of(R"({"delta": "1"})") == 400);
  CHECK(status_of(R"({"set": 99999999999})") == 400);
  CHECK(status_of(R"([1])") == 400);
  CHECK(status_of("not json") == 400);
}

TEST_CASE("stock: an adjustment never takes a level below zero", "[stock]") {
  using K = stock::Adjustment::Kind;
  CHECK(stock::adjusted(5, {K::delta, -5}) == 0);
  CHECK_FALSE(stock::adjusted(5, {K::delta, -6}));
  CHECK(stock::adjusted(5, {K::set, 0}) == 0);
  CHECK_FALSE(stock::adjusted(5, {K::set, -1}));
  CHECK_FALSE(stock::adjusted(stock::kMaxLevel, {K::delta, 1}));
  CHECK(stock::level_json({kA, 3, 2}) == R"({"productId":")" + kA + R"(","available":3,"reserved":2})");
}
