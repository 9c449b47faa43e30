// meshctl: inspecting messages against the contracts, and printing them as text and JSON lines.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "meshctl/record.hpp"
#include "meshctl/render.hpp"
#include "meshctl/text.hpp"
#include "shopmesh/events/envelope.hpp"

using namespace shopmesh;
using namespace shopmesh::meshctl;

namespace {

const char* kOrderId = "0190f5a2-7b1c-7d3e-8f00-000000000001";

std::string order_created(int quantity) {
  events::Envelope e;
  e.id = "0190f5a2-7b1c-7d3e-8f00-0000000000e1";
  e.type = "ORDER_CREATED";
  e.version = 1;
  e.occurred_at = "2026-11-21T20:15:03.100Z";
  e.producer = "orders";
  e.key = kOrderId;
  e.correlation_id = "req-1";
  e.data =
      std::string(R"({"orderId":")") + kOrderId +
      R"(","userId":"0190f5a2-7b1c-7d3e-8f00-0000000000a1","items":[{"productId":"0190f5a2-7b1c-7d3e-8f00-0000000000b1","productName":"Lamp","unitPrice":19.99,"quantity":)" +
      std::to_string(quantity) +
      R"(,"subtotal":19.99}],"totalAmount":19.99,"currency":"USD","shippingAddress":null,"createdAt":"2026-11-21T20:15:03.100Z"})";
  return events::encode(e);
}

Record record(std::string value) {
  Record r;
  r.topic = "order.events";
  r.partition = 2;
  r.offset = 17;
  r.timestamp_ms = 1'795'292'103'123LL;  // 2026-11-21T20:15:03.123Z
  r.key = kOrderId;
  r.headers = {{"event-type", "ORDER_CREATED"}, {"event-version", "1"}};
  r.value = std::move(value);
  return r;
}

}  // namespace

TEST_CASE("meshctl inspect: valid, invalid (with the failing field), unknown type/version, not an envelope",
          "[meshctl]") {
  auto ok = inspect(order_created(1));
  CHECK(ok.verdict == Verdict::valid);
  CHECK(ok.errors.empty());
  REQUIRE(ok.envelope);
  CHECK(ok.envelope->type == "ORDER_CREATED");

  auto bad = inspect(order_created(0));
  CHECK(bad.verdict == Verdict::invalid);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0] == "data.items[0].quantity: must be >= 1");

  events::Envelope e = *ok.envelope;
  e.type = "NO_SUCH_EVENT";
  CHECK(inspect(events::encode(e)).verdict == Verdict::unknown_type);
  e.type = "ORDER_CREATED";
  e.version = 99;
  auto v99 = inspect(events::encode(e));
  CHECK(v99.verdict == Verdict::unknown_version);
  CHECK(std::string(verdict_name(v99.verdict)) == "unknown-version");

  auto garbage = inspect("\x01\x02 not json");
  CHECK(garbage.verdict == Verdict::not_envelope);
  CHECK_FALSE(garbage.envelope);
  CHECK(garbage.errors.at(0).rfind("not an envelope: ", 0) == 0);
}

TEST_CASE("meshctl render: one greppable line per event, then its data", "[meshctl]") {
  const Style plain;
  auto r = record(order_created(1));
  const std::string text = render_text(r, inspect(r.value), plain);
  const std::string first = text.substr(0, text.find('\n'));
  CHECK(first.rfind("2026-11-21T20:15:03.123Z  order.events[2]@17  ORDER_CREATED v1  key=", 0) == 0);
  CHECK(first.find(std::string("key=") + kOrderId +
                   "  id=0190f5a2-7b1c-7d3e-8f00-0000000000e1  producer=orders  corr=req-1") != std::string::npos);
  CHECK(first.substr(first.size() - 3) == "✓");
  CHECK(text.find("\n    {\"orderId\":") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);  // no colours unless asked

  auto bad = record(order_created(0));
  const std::string bad_text = render_text(bad, inspect(bad.value), plain);
  CHECK(bad_text.find("✗ data.items[0].quantity: must be >= 1\n") != std::string::npos);

  auto raw = record(std::string("\x01\x02 not \"json\"\n", 14));
  const std::string raw_text = render_text(raw, inspect(raw.value), plain);
  CHECK(raw_text.find("ORDER_CREATED  key=") != std::string::npos);  // type from the header
  CHECK(raw_text.find("✗ not an envelope: value is not a JSON object") != std::string::npos);
  CHECK(raw_text.find(R"(raw "\x01\x02 not \"json\"\n")") != std::string::npos);

  const Style color{true};
  CHECK(render_text(r, inspect(r.value), color).find("\x1b[32m✓\x1b[0m") != std::string::npos);
}

TEST_CASE("meshctl render: --json is one parseable object per line with the envelope or the raw bytes", "[meshctl]") {
  auto r = record(order_created(0));
  r.headers.emplace_back("event-type", "OVERRIDDEN");  // repeated: the last one wins, as for consumers
  const std::string line = render_json(r, inspect(r.value));
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["topic"].GetString()) == "order.events");
  CHECK(d["partition"].GetInt() == 2);
  CHECK(d["offset"].GetInt64() == 17);
  CHECK(std::string(d["timestamp"].GetString()) == "2026-11-21T20:15:03.123Z");
  CHECK(std::string(d["key"].GetString()) == kOrderId);
  CHECK(std::string(d["headers"]["event-type"].GetString()) == "OVERRIDDEN");
  CHECK(d["headers"].MemberCount() == 2);
  CHECK(d["valid"].GetBool() == false);
  CHECK(std::string(d["status"].GetString()) == "invalid");
  CHECK(std::string(d["errors"][0].GetString()) == "data.items[0].quantity: must be >= 1");
  CHECK(d["envelope"]["data"]["items"][0]["quantity"].GetInt() == 0);
  CHECK_FALSE(d.HasMember("raw"));

  auto raw = record(std::string("\xff\xfe\x01", 3));
  raw.key.reset();
  rapidjson::Document rd;
  rd.Parse(render_json(raw, inspect(raw.value)).c_str());
  REQUIRE_FALSE(rd.HasParseError());
  CHECK(rd["key"].IsNull());
  CHECK(std::string(rd["status"].GetString()) == "not-envelope");
  CHECK(std::string(rd["raw"].GetString()) == "\xEF\xBF\xBD\xEF\xBF\xBD\x01");  // not UTF-8: U+FFFD
  CHECK_FALSE(rd.HasMember("envelope"));
}

TEST_CASE("meshctl render: previews escape what a terminal should not get", "[meshctl]") {
  CHECK(escape_preview("plain") == "\"plain\"");
  CHECK(escape_preview("tab\there") == R"("tab\there")");
  CHECK(escape_preview("\x1b[31m") == R"("\x1b[31m")");
  CHECK(escape_preview("héllo") == "\"héllo\"");
  CHECK(escape_preview(std::string(300, 'a'), 10) == "\"aaaaaaaaaa\" …(300 bytes)");
}

TEST_CASE("meshctl headers: dead-letter headers, DLQ names, replay and redrive marks", "[meshctl]") {
  Record dead = record(order_created(1));
  dead.topic = "order.events.notification.dlq";
  dead.partition = 0;
  dead.offset = 3;
  dead.headers = {{"event-type", "ORDER_CREATED"},
                  {"event-id", "e1"},
                  {"redriven-from", "old/0/1"},
                  {"dlq-error-class", "handler"},
                  {"dlq-error-message", "template missing"},
                  {"dlq-original-topic", "order.events"},
                  {"dlq-original-partition", "2"},
                  {"dlq-original-offset", "17"},
                  {"dlq-consumer-group", "notification"},
                  {"dlq-failed-at", "2026-11-21T20:15:04.000Z"}};
  const DeadLetter d = dead_letter_of(dead.headers);
  CHECK(d.error_class == "handler");
  CHECK(d.error_message == "template missing");
  CHECK(d.original_topic == "order.events");
  CHECK(d.original_partition == 2);
  CHECK(d.original_offset == 17LL);
  CHECK(d.consumer_group == "notification");
  CHECK(d.failed_at == "2026-11-21T20:15:04.000Z");
  CHECK_FALSE(dead_letter_of({{"dlq-original-offset", "x"}}).original_offset);

  const HeaderList redriven = redrive_headers(dead);
  CHECK(redriven == HeaderList{{"event-type", "ORDER_CREATED"},
                               {"event-id", "e1"},
                               {"redriven-from", "order.events.notification.dlq/0/3"}});

  Record source = record(order_created(1));
  source.headers.emplace_back("replay-of", "older/1/1");
  const HeaderList replayed = replay_headers(source, "2026-11-21T21:00:00.000Z");
  CHECK(replayed == HeaderList{{"event-type", "ORDER_CREATED"},
                               {"event-version", "1"},
                               {"replay-of", "order.events/2/17"},
                               {"replayed-at", "2026-11-21T21:00:00.000Z"}});

  auto name = parse_dlq_name("order.events.notification.dlq");
  REQUIRE(name);
  CHECK(name->topic == "order.events");
  CHECK(name->group == "notification");
  CHECK_FALSE(parse_dlq_name("order.events"));
  CHECK_FALSE(parse_dlq_name("x.dlq"));
  CHECK(is_dlq_topic("a.b.dlq"));
  CHECK_FALSE(is_dlq_topic("a.b.dlqx"));
}

TEST_CASE("meshctl text: multi-line messages on one line, cut on a character boundary", "[meshctl]") {
  CHECK(one_line("ERROR:  mail relay unavailable\nCONTEXT:  PL/pgSQL function\n", 200) ==
        "ERROR: mail relay unavailable CONTEXT: PL/pgSQL function");
  CHECK(one_line("  padded\t", 10) == "padded");
  CHECK(one_line("abcdefghij", 6) == "abc…");
  CHECK(one_line("ab✓✓✓", 6) == "ab…");  // never half a character
}
