// meshctl's decisions as plain functions: start offsets, group resets, replay windows, filters,
// positions, PostgreSQL URLs.
#include <catch2/catch.hpp>

#include "meshctl/plan.hpp"
#include "meshctl/postgres.hpp"

using namespace shopmesh::meshctl;

namespace {

Record at(int partition, long long offset, long long ts, std::string key = "k") {
  Record r;
  r.topic = "t";
  r.partition = partition;
  r.offset = offset;
  r.timestamp_ms = ts;
  r.key = std::move(key);
  return r;
}

}  // namespace

TEST_CASE("meshctl plan: the newest N across partitions", "[meshctl]") {
  const std::vector<PartitionRange> p{{0, 0, 100}, {1, 95, 98}, {2, 0, 0}};
  auto starts = last_n_starts(p, 10);
  CHECK(starts == std::map<int, long long>{{0, 90}, {1, 95}, {2, 0}});

  std::vector<Record> records{at(1, 5, 300), at(0, 9, 100), at(0, 10, 300), at(2, 1, 200)};
  sort_by_time(records);
  CHECK(records[0].offset == 9);
  CHECK(records[1].partition == 2);
  CHECK(records[2].partition == 0);  // same timestamp: by partition, then offset
  CHECK(records[3].partition == 1);
  keep_newest(records, 2);
  REQUIRE(records.size() == 2);
  CHECK(records[0].offset == 10);
  CHECK(records[1].offset == 5);
}

TEST_CASE("meshctl plan: a group reset goes to the first offset at or after the time, or to the end", "[meshctl]") {
  const std::vector<PartitionRange> p{{1, 0, 50}, {0, 10, 40}, {2, 0, 7}};
  const std::map<int, long long> by_time{{0, 12}, {1, -1}, {2, 3}};
  const std::map<int, long long> committed{{0, 40}, {2, -1}};
  auto rows = plan_reset(p, by_time, committed);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].partition == 0);
  CHECK(rows[0].committed == 40LL);
  CHECK(rows[0].target == 12);
  CHECK(rows[0].to_process() == 28);
  CHECK(rows[1].target == 50);  // nothing since then: the end
  CHECK(rows[1].to_process() == 0);
  CHECK_FALSE(rows[1].committed);
  CHECK_FALSE(rows[2].committed);
  CHECK(rows[2].target == 3);
}

TEST_CASE("meshctl plan: a replay window is from since (inclusive) to until (exclusive) per partition", "[meshctl]") {
  const std::vector<PartitionRange> p{{0, 0, 100}, {1, 20, 30}};
  auto open_ended = plan_window(p, {{0, 40}, {1, -1}}, std::nullopt);
  CHECK(open_ended[0].start == 40);
  CHECK(open_ended[0].end == 100);
  CHECK(open_ended[1].size() == 0);
  auto bounded = plan_window(p, {{0, 40}, {1, 5}}, std::map<int, long long>{{0, 60}, {1, -1}});
  CHECK(bounded[0].size() == 20);
  CHECK(bounded[1].start == 20);  // below the low watermark: clamped
  CHECK(bounded[1].end == 30);
}

TEST_CASE("meshctl plan: lag, positions and filters", "[meshctl]") {
  CHECK(lag(100, 90) == 10LL);
  CHECK(lag(100, 120) == 0LL);
  CHECK_FALSE(lag(100, -1));

  CHECK(parse_position("17") == Position{0, 17});
  CHECK(parse_position("2:17") == Position{2, 17});
  for (const char* bad : {"", "x", "-1", "1:", ":1", "1:2:3", "1:-2", "1.5"}) {
    INFO(bad);
    CHECK_FALSE(parse_position(bad));
  }

  Record r = at(0, 1, 1, "order-1");
  r.headers = {{"event-type", "ORDER_CREATED"}};
  Inspection undecodable;  // not an envelope: the header's type counts
  Filter f;
  CHECK(f.empty());
  CHECK(f.matches(r, undecodable));
  f.types = {"ORDER_CANCELLED", "ORDER_CREATED"};
  CHECK(f.matches(r, undecodable));
  f.keys = {"order-2"};
  CHECK_FALSE(f.matches(r, undecodable));
  f.keys.push_back("order-1");
  CHECK(f.matches(r, undecodable));
  Inspection valid;
  valid.verdict = Verdict::valid;
  f.invalid_only = true;
  CHECK(f.matches(r, undecodable));
  f.types.clear();
  CHECK_FALSE(f.matches(r, valid));
}

TEST_CASE("meshctl plan: an order's events by key or data.orderId, in occurredAt order", "[meshctl]") {
  Record by_key = at(0, 1, 5, "o-1");
  CHECK(belongs_to_order(by_key, Inspection{}, "o-1"));
  Record by_data = at(0, 2, 5, "user-9");
  Inspection i;
  i.envelope.emplace();
  i.envelope->data = R"({"orderId":"o-1"})";
  i.envelope->occurred_at = "2026-11-21T20:15:03.100Z";
  CHECK(belongs_to_order(by_data, i, "o-1"));
  CHECK_FALSE(belongs_to_order(by_data, i, "o-2"));
  CHECK(event_time_ms(by_data, i) == 1'795'292'103'100LL);
  CHECK(event_time_ms(by_key, Inspection{}) == 5LL);  // no envelope: the Kafka timestamp
}

TEST_CASE("meshctl postgres: where to connect and how each database's URL is made", "[meshctl]") {
  auto env_of = [](std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
  };
  CHECK(resolve_pg_url(std::string("postgresql://a@h/db"), env_of({{"PG_SUPERUSER_URL", "x"}})) ==
        "postgresql://a@h/db");
  CHECK(resolve_pg_url(std::nullopt, env_of({{"PG_SUPERUSER_URL", "postgresql://s@h:1/postgres"}})) ==
        "postgresql://s@h:1/postgres");
  CHECK(resolve_pg_url(std::nullopt, env_of({})) == "postgresql://shopmesh:shopmesh-dev@127.0.0.1:55432/postgres");
  CHECK(resolve_pg_url(std::nullopt,
                       env_of({{"PG_HOST", "0.0.0.0"}, {"PG_PORT", "6000"}, {"PG_PASSWORD", "p@ss word"}})) ==
        "postgresql://shopmesh:p%40ss%20word@127.0.0.1:6000/postgres");

  CHECK(database_url("postgresql://u:p@h:5/postgres", "orders") == "postgresql://u:p@h:5/orders?connect_timeout=5");
  CHECK(database_url("postgresql://u:p@h:5/postgres?sslmode=disable", "stock") ==
        "postgresql://u:p@h:5/stock?sslmode=disable&connect_timeout=5");
  CHECK(database_url("postgresql://u@h?connect_timeout=2", "cart") == "postgresql://u@h/cart?connect_timeout=2");
  CHECK(database_url("host=h user=u", "auth") == "host=h user=u dbname=auth connect_timeout=5");

  CHECK(redact_url("postgresql://u:secret@h:5/db") == "postgresql://u:***@h:5/db");
  CHECK(redact_url("postgresql://u@h:5/db") == "postgresql://u@h:5/db");
  CHECK(redact_url("host=h password=secret user=u") == "host=h password=*** user=u");
  CHECK(service_databases().size() == 8);
}
