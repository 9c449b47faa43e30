// meshctl outbox status: one database's replication slot as a JSON line and as a table row.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "meshctl/commands.hpp"
#include "meshctl/text.hpp"

using namespace shopmesh::meshctl;

namespace {

OutboxStatus streaming() {
  OutboxStatus s;
  s.database = "orders";
  s.slot = "shopmesh_outbox_orders";
  s.exists = true;
  s.active = true;
  s.wal_status = "reserved";
  s.retained_bytes = 3 * 1024 * 1024 + 512 * 1024;
  s.unconfirmed_bytes = 200;
  s.lag_s = 0.004;
  return s;
}

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("meshctl outbox: bytes for people", "[meshctl]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(-5) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(3LL * 1024 * 1024 + 512 * 1024) == "3.5 MiB");
  CHECK(format_bytes(4LL * 1024 * 1024 * 1024) == "4.0 GiB");
}

TEST_CASE("meshctl outbox: a slot as one JSON line, camelCase, nulls where nothing is known", "[meshctl]") {
  const std::string line = render_outbox_json(streaming());
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto d = parse(line);
  CHECK(std::string(d["database"].GetString()) == "orders");
  CHECK(std::string(d["slot"].GetString()) == "shopmesh_outbox_orders");
  CHECK(d["exists"].GetBool());
  CHECK(d["active"].GetBool());
  CHECK(std::string(d["walStatus"].GetString()) == "reserved");
  CHECK(d["retainedBytes"].GetInt64() == 3 * 1024 * 1024 + 512 * 1024);
  CHECK(d["unconfirmedBytes"].GetInt64() == 200);
  CHECK(d["lagSeconds"].GetDouble() == Approx(0.004));

  OutboxStatus away = streaming();
  away.active = false;
  away.lag_s.reset();
  auto a = parse(render_outbox_json(away));
  CHECK_FALSE(a["active"].GetBool());
  CHECK(a["lagSeconds"].IsNull());

  OutboxStatus missing;
  missing.database = "users";
  missing.slot = "shopmesh_outbox_users";
  auto m = parse(render_outbox_json(missing));
  CHECK_FALSE(m["exists"].GetBool());
  CHECK_FALSE(m["active"].GetBool());
  CHECK(m["walStatus"].IsNull());
  CHECK(m["retainedBytes"].IsNull());
  CHECK(m["unconfirmedBytes"].IsNull());
  CHECK(m["lagSeconds"].IsNull());
}

TEST_CASE("meshctl outbox: the table flags a relay away, a missing slot and lost WAL", "[meshctl]") {
  OutboxStatus away = streaming();
  away.database = "stock";
  away.slot = "shopmesh_outbox_stock";
  away.active = false;
  away.lag_s.reset();
  OutboxStatus missing;
  missing.database = "users";
  missing.slot = "shopmesh_outbox_users";
  OutboxStatus lost = streaming();
  lost.database = "shipping";
  lost.wal_status = "lost";
  const std::vector<OutboxStatus> rows{streaming(), away, missing, lost};
  const std::vector<Skipped> skipped{{"cart", "no outbox"}, {"nope", "no database"}};

  const std::string plain = render_outbox_text(rows, skipped, Style{false});
  CHECK(plain.find("\x1b[") == std::string::npos);
  CHECK(plain.rfind("SERVICE", 0) == 0);
  auto line_of = [&](const std::string& db) {
    const auto at = plain.find('\n' + db + ' ');
    REQUIRE(at != std::string::npos);
    return plain.substr(at + 1, plain.find('\n', at + 1) - at - 1);
  };
  const std::string orders = line_of("orders");
  CHECK(orders.find("shopmesh_outbox_orders") != std::string::npos);
  CHECK(orders.find("streaming") != std::string::npos);
  CHECK(orders.find("reserved") != std::string::npos);
  CHECK(orders.find("3.5 MiB") != std::string::npos);
  CHECK(orders.find("200 B") != std::string::npos);
  CHECK(orders.find("4ms") != std::string::npos);
  CHECK(line_of("stock").find("away") != std::string::npos);
  CHECK(line_of("users").find("no slot") != std::string::npos);
  CHECK(plain.find("not inspected: cart (no outbox), nope (no database)") != std::string::npos);

  const std::string colored = render_outbox_text(rows, skipped, Style{true});
  CHECK(colored.find("\x1b[33maway") != std::string::npos);
  CHECK(colored.find("\x1b[31mno slot") != std::string::npos);
  CHECK(colored.find("\x1b[31mlost") != std::string::npos);
  CHECK(colored.find("\x1b[33mstreaming") == std::string::npos);
}
