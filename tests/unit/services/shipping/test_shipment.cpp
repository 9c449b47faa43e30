#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

#include "shopmesh/core/http.hpp"
#include "shopmesh/shipping/shipment.hpp"

using namespace shopmesh;
using shipping::Status;
using shipping::Step;

TEST_CASE("shipping: transitions move forward one status at a time", "[shipping]") {
  using V = std::vector<Step>;
  CHECK(shipping::steps_towards(Status::pending, Status::ready) == V{{Status::pending, Status::ready}});
  CHECK(shipping::steps_towards(Status::pending, Status::shipped) ==
        V{{Status::pending, Status::ready}, {Status::ready, Status::shipped}});
  CHECK(shipping::steps_towards(Status::shipped, Status::delivered) == V{{Status::shipped, Status::delivered}});
  // an event for a status already passed (it came late on its topic) changes nothing
  CHECK(shipping::steps_towards(Status::shipped, Status::ready).empty());
  CHECK(shipping::steps_towards(Status::ready, Status::ready).empty());
}

TEST_CASE("shipping: cancellation only before shipping, and terminal states stay", "[shipping]") {
  using V = std::vector<Step>;
  CHECK(shipping::steps_towards(Status::pending, Status::cancelled) == V{{Status::pending, Status::cancelled}});
  CHECK(shipping::steps_towards(Status::ready, Status::cancelled) == V{{Status::ready, Status::cancelled}});
  CHECK(shipping::steps_towards(Status::shipped, Status::cancelled).empty());
  CHECK(shipping::steps_towards(Status::cancelled, Status::ready).empty());  // a late STOCK_RESERVED
  CHECK(shipping::steps_towards(Status::delivered, Status::cancelled).empty());
}

TEST_CASE("shipping: the history of an unannounced shipment replays every step", "[shipping]") {
  using V = std::vector<Step>;
  CHECK(shipping::history_of(Status::pending, false).empty());
  CHECK(shipping::history_of(Status::ready, true) == V{{Status::pending, Status::ready}});
  CHECK(shipping::history_of(Status::cancelled, false) == V{{Status::pending, Status::cancelled}});
  CHECK(shipping::history_of(Status::cancelled, true) ==
        V{{Status::pending, Status::ready}, {Status::ready, Status::cancelled}});
}

TEST_CASE("shipping: tracking numbers are SM + 12 characters and differ", "[shipping]") {
  std::mt19937_64 rng(7);
  std::set<std::string> seen;
  const std::regex shape("^SM[0-9A-Z]{12}$");
  for (int i = 0; i < 1000; ++i) {
    auto t = shipping::tracking_number(rng);
    CHECK(std::regex_match(t, shape));
    seen.insert(t);
  }
  CHECK(seen.size() == 1000);
  CHECK(shipping::needs_tracking_number(Status::ready));
  CHECK_FALSE(shipping::needs_tracking_number(Status::pending));
  CHECK_FALSE(shipping::needs_tracking_number(Status::cancelled));
}

TEST_CASE("shipping: list queries and JSON", "[shipping]") {
  auto parse = [](std::map<std::string, std::string> params) {
    return shipping::parse_list_query([&](std::string_view name) -> std::optional<std::string> {
      auto it = params.find(std::string(name));
      if (it == params.end()) return std::nullopt;
      return it->second;
    });
  };
  auto q = parse({{"page", "2"}, {"limit", "5"}, {"status", "READY"}});
  CHECK(q.page == 2);
  CHECK(q.limit == 5);
  CHECK(q.status == Status::ready);
  CHECK_THROWS_AS(parse({{"limit", "101"}}), core::DomainError);
  CHECK_THROWS_AS(parse({{"status", "LOST"}}), core::DomainError);
  CHECK_THROWS_AS(parse({{"page", "0"}}), core::DomainError);

  shipping::Shipment s;
  s.id = "i";
  s.order_id = "o";
  s.status = Status::ready;
  s.tracking_number = "SM000000000001";
  s.address_json = R"({"line1":"1 Main St","line2":null,"city":"Springfield","postalCode":"12345","country":"US"})";
  s.created_at = s.updated_at = "2026-11-21T20:15:03.123Z";
  CHECK(shipping::shipment_json(s) ==
        R"({"id":"i","orderId":"o","userId":null,"status":"READY","trackingNumber":"SM000000000001",)"
        R"("address":{"line1":"1 Main St","line2":null,"city":"Springfield","postalCode":"12345","country":"US"},)"
        R"("createdAt":"2026-11-21T20:15:03.123Z","updatedAt":"2026-11-21T20:15:03.123Z"})");
}
