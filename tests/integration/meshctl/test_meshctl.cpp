// meshctl on the real stack: the built binary against the stack's Kafka and PostgreSQL, with
// events published through the bus (Producer, Outbox + OutboxRelay) and consumed by ConsumerRunners.
#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "bus_fixture.hpp"
#include "run_meshctl.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "stack_env.hpp"
#include "test_prelude.hpp"

using testing::meshctl;

namespace {

std::string product_updated(const std::string& product_id, const std::string& name,
                            const std::string& price = "19.99") {
  return R"({"productId":")" + product_id + R"(","sku":"SKU-1","name":")" + name + R"(","price":)" + price +
         R"(,"category":null,"active":true,"updatedAt":"2026-11-21T20:00:00.000Z"})";
}

events::Envelope envelope(const std::string& type, const std::string& key, std::string data) {
  events::Envelope e;
  e.id = core::uuid_v7();
  e.type = type;
  e.version = 1;
  e.occurred_at = events::now_rfc3339();
  e.producer = "it-meshctl";
  e.key = key;
  e.correlation_id = "corr-" + key;
  e.data = std::move(data);
  return e;
}

// Publishes and waits for every delivery; returns (partition, offset) per message.
struct Published {
  std::string key, id, type;
  bool valid;
  int partition = -1;
  long long offset = -1;
};

void publish(events::Producer& producer, const std::string& topic, std::vector<Published>& messages,
             const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    events::Envelope h;
    h.id = messages[i].id;
    h.type = messages[i].type;
    auto* m = &messages[i];
    REQUIRE(producer.send(topic, m->key, values[i], events::envelope_headers(h), [m](const events::Delivery& d) {
      REQUIRE(d.ok);
      m->partition = d.partition;
      m->offset = d.offset;
    }));
  }
  REQUIRE(producer.flush(20s));
}

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  INFO(line);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "";
}

void exec(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long long>();
}

}  // namespace

TEST_CASE("meshctl tail: the --json output is exactly what was published, invalid ones flagged", "[meshctl]") {
  const std::string topic = "it.meshctl.tail." + core::uuid_v7();
  testing::create_topic(topic, 3);
  testing::Infra infra;
  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-meshctl"}, infra.log);

  std::vector<Published> sent;
  std::vector<std::string> values;
  const std::vector<std::string> keys{core::uuid_v7(), core::uuid_v7(), core::uuid_v7()};
  for (int i = 0; i < 6; ++i) {
    const auto& key = keys[static_cast<std::size_t>(i) % keys.size()];
    auto e = envelope("PRODUCT_UPDATED", key, product_updated(key, "seq-" + std::to_string(i)));
    sent.push_back({key, e.id, e.type, true});
    values.push_back(events::encode(e));
  }
  {  // breaks its contract: a price with three decimals
    auto e = envelope("PRODUCT_UPDATED", keys[0], product_updated(keys[0], "bad", "19.999"));
    sent.push_back({keys[0], e.id, e.type, false});
    values.push_back(events::encode(e));
  }
  {  // not an envelope at all
    sent.push_back({keys[1], core::uuid_v7(), "PRODUCT_UPDATED", false});
    values.push_back(std::string("\x01\x02 not json", 11));
  }
  publish(producer, topic, sent, values);

  auto run = meshctl({"tail", topic, "--from-beginning", "--json"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  using Row = std::tuple<std::string, std::string, std::string, bool, int, long long>;
  std::multiset<Row> expected, got;
  for (const auto& m : sent) expected.insert({m.key, m.id, m.type, m.valid, m.partition, m.offset});
  std::map<std::string, std::string> status_of;
  for (const auto& line : run.lines()) {
    auto d = parse(line);
    const std::string id = d.HasMember("envelope") ? str(d["envelope"]["id"]) : str(d["headers"]["event-id"]);
    const std::string type = d.HasMember("envelope") ? str(d["envelope"]["type"]) : str(d["headers"]["event-type"]);
    got.insert({str(d["key"]), id, type, d["valid"].GetBool(), d["partition"].GetInt(), d["offset"].GetInt64()});
    status_of[id] = str(d["status"]);
    if (!d["valid"].GetBool()) CHECK(d["errors"].Size() > 0);
  }
  CHECK(got == expected);
  CHECK(status_of[sent[6].id] == "invalid");
  CHECK(status_of[sent[7].id] == "not-envelope");

  // Filters: one key and type; only the invalid ones; the newest N.
  auto by_key = meshctl({"tail", topic, "--from-beginning", "--json", "--key", keys[2], "--type", "PRODUCT_UPDATED"});
  REQUIRE(by_key.exit_code == 0);
  CHECK(by_key.lines().size() == 2);
  for (const auto& line : by_key.lines()) CHECK(str(parse(line)["key"]) == keys[2]);
  auto invalid = meshctl({"tail", topic, "--from-beginning", "--json", "--invalid"});
  REQUIRE(invalid.exit_code == 0);
  CHECK(invalid.lines().size() == 2);
  auto newest = meshctl({"tail", topic, "-n", "3", "--json"});
  REQUIRE(newest.exit_code == 0);
  CHECK(newest.lines().size() == 3);

  // The readable form: one line per event with ✓ or ✗ and the failing field, then its data.
  auto text = meshctl({"tail", topic, "--from-beginning"});
  REQUIRE(text.exit_code == 0);
  int ok = 0, bad = 0;
  for (const auto& line : text.lines()) {
    if (line.rfind("    ", 0) == 0) continue;
    CHECK(line.find(topic + "[") != std::string::npos);
    if (line.size() >= 3 && line.substr(line.size() - 3) == "✓") ++ok;
    if (line.find("✗ data.price:") != std::string::npos || line.find("✗ not an envelope:") != std::string::npos) ++bad;
  }
  CHECK(ok == 6);
  CHECK(bad == 2);
  CHECK(text.out.find("\x1b[") == std::string::npos);  // not a terminal: no colours

  auto missing = meshctl({"tail", "it.meshctl.no-such-topic." + core::uuid_v7()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("does not exist") != std::string::npos);
}

TEST_CASE("meshctl replay --to-group: a fresh group replaying the window rebuilds the same projection", "[meshctl]") {
  testing::TestDatabase db("it_meshctl_replay");
  exec(db.url, "CREATE TABLE projection (grp text, key text, name text, applied int, PRIMARY KEY (grp, key))");
  const std::string topic = "it.meshctl.replay." + core::uuid_v7();
  const std::string suffix = core::uuid_v7().substr(24);
  const std::string g1 = "it-replay-g1-" + suffix, g2 = "it-replay-g2-" + suffix, g3 = "it-replay-g3-" + suffix;
  testing::create_topic(topic, 3);
  for (const auto& g : {g1, g2, g3}) testing::create_topic(events::dlq_topic(topic, g), 1);
  testing::Infra infra;
  core::PgPool pool(db.url, 2, 5s, infra.log);
  events::RelayOptions relay_options;
  relay_options.database_url = db.url;
  relay_options.brokers = stack_var("KAFKA_BROKERS");
  relay_options.producer_name = "it-meshctl";
  events::OutboxRelay relay(relay_options, infra.log, infra.metrics);
  relay.start();

  const std::vector<std::string> keys{core::uuid_v7(), core::uuid_v7(), core::uuid_v7()};
  auto write = [&](int from, int to) {
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    events::Outbox outbox("it-meshctl");
    for (int i = from; i < to; ++i) {
      const auto& key = keys[static_cast<std::size_t>(i) % keys.size()];
      outbox.add(tx, topic, "PRODUCT_UPDATED", 1, key, product_updated(key, "v" + std::to_string(i)), {"corr", "", ""});
    }
    tx.commit();
  };
  const std::string t0 = events::now_rfc3339();
  std::this_thread::sleep_for(5ms);  // message timestamps are in ms: keep the window edges apart
  write(0, 8);
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  std::this_thread::sleep_for(5ms);
  const std::string t_mid = events::now_rfc3339();
  std::this_thread::sleep_for(5ms);
  write(8, 12);
  REQUIRE(testing::outbox_caught_up(db.url, 20s));

  auto runner_for = [&](const std::string& group, const std::string& reset) {
    events::ConsumerOptions o{group, {topic}, stack_var("KAFKA_BROKERS")};
    o.auto_offset_reset = reset;
    auto r = std::make_unique<events::ConsumerRunner>(o, pool, infra.log, infra.metrics);
    r->on("PRODUCT_UPDATED", 1, [group](pqxx::work& tx, const rapidjson::Value& data, const events::Consumed& c) {
      tx.exec_params(
          "INSERT INTO projection VALUES ($1, $2, $3, 1) ON CONFLICT (grp, key)"
          " DO UPDATE SET name = EXCLUDED.name, applied = projection.applied + 1",
          group, c.envelope.key, std::string(data["name"].GetString()));
    });
    return r;
  };
  auto projection = [&](const std::string& group) {
    pqxx::connection c(db.url);
    pqxx::nontransaction tx(c);
    std::vector<std::tuple<std::string, std::string, int>> rows;
    for (const auto& r : tx.exec_params("SELECT key, name, applied FROM projection WHERE grp = $1 ORDER BY key", group))
      rows.emplace_back(r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int>());
    return rows;
  };
  auto applied = [&](const std::string& group) {
    pqxx::connection c(db.url);
    pqxx::nontransaction tx(c);
    return tx.exec_params1("SELECT coalesce(sum(applied), 0) FROM projection WHERE grp = $1", group)[0].as<long long>();
  };

  auto first = runner_for(g1, "earliest");
  first->start();
  REQUIRE(eventually([&] { return applied(g1) == 12; }, 60s));
  // A live group is never reset.
  auto refused = meshctl({"replay", topic, "--since", t0, "--to-group", g1});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("is live") != std::string::npos);
  first->stop();

  // The window from t_mid holds the second batch only.
  auto window = meshctl({"replay", topic, "--since", t_mid, "--to-group", g3, "--dry-run"});
  INFO(window.out + window.err);
  REQUIRE(window.exit_code == 0);
  CHECK(window.out.find("4 message(s) from " + topic) != std::string::npos);
  CHECK(window.out.find("dry run: no offsets changed") != std::string::npos);

  auto replay = meshctl({"replay", topic, "--since", t0, "--to-group", g2});
  INFO(replay.out + replay.err);
  REQUIRE(replay.exit_code == 0);
  CHECK(replay.out.find("12 message(s) from " + topic) != std::string::npos);
  // "latest": without the reset this group would start at the end and apply nothing.
  auto second = runner_for(g2, "latest");
  second->start();
  REQUIRE(eventually([&] { return applied(g2) == 12; }, 60s));
  second->stop();
  CHECK(projection(g2) == projection(g1));
  CHECK(projection(g1).size() == 3);

  // topics: each group with its lag; two more events put g1 two behind.
  auto lag_of = [&](const std::string& group) -> long long {
    auto run = meshctl({"topics", topic, "--json"});
    REQUIRE(run.exit_code == 0);
    auto d = parse(run.lines().at(0));
    for (const auto& g : d["groups"].GetArray())
      if (str(g["group"]) == group) return g["lag"].GetInt64();
    return -1;
  };
  CHECK(lag_of(g1) == 0);
  write(12, 14);
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  CHECK(lag_of(g1) == 2);
  auto text = meshctl({"topics", topic});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("group " + g1) != std::string::npos);
  CHECK(text.out.find("lag 2") != std::string::npos);
  relay.stop();
}

TEST_CASE("meshctl replay --to-topic: the window is re-published with replay headers, never into itself", "[meshctl]") {
  const std::string source = "it.meshctl.src." + core::uuid_v7();
  const std::string target = "it.meshctl.dst." + core::uuid_v7();
  testing::create_topic(source, 2);
  testing::create_topic(target, 1);
  testing::Infra infra;
  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-meshctl"}, infra.log);
  std::vector<Published> sent;
  std::vector<std::string> values;
  const std::string since = events::now_rfc3339();
  std::this_thread::sleep_for(5ms);
  for (int i = 0; i < 4; ++i) {
    const std::string key = core::uuid_v7();
    auto e = envelope("PRODUCT_UPDATED", key, product_updated(key, "r" + std::to_string(i)));
    sent.push_back({key, e.id, e.type, true});
    values.push_back(events::encode(e));
  }
  publish(producer, source, sent, values);

  auto self = meshctl({"replay", source, "--since", since, "--to-topic", source});
  CHECK(self.exit_code == 1);
  CHECK(self.err.find("into itself") != std::string::npos);
  auto dry = meshctl({"replay", source, "--since", since, "--to-topic", target, "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("4 event(s): PRODUCT_UPDATED x4") != std::string::npos);
  auto run = meshctl({"replay", source, "--since", since, "--until", "now", "--to-topic", target});
  INFO(run.out + run.err);
  REQUIRE(run.exit_code == 0);
  auto copies = testing::read_topic(target, 4, 20s);
  REQUIRE(copies.size() == 4);
  std::set<std::string> origins, ids;
  for (const auto& c : copies) {
    origins.insert(c.headers.at("replay-of"));
    CHECK_FALSE(c.headers.at("replayed-at").empty());
    ids.insert(c.headers.at("event-id"));
  }
  std::set<std::string> expected_origins, expected_ids;
  for (const auto& m : sent) {
    expected_origins.insert(source + "/" + std::to_string(m.partition) + "/" + std::to_string(m.offset));
    expected_ids.insert(m.id);
  }
  CHECK(origins == expected_origins);
  CHECK(ids == expected_ids);
}

TEST_CASE("meshctl dlq: a dead letter is listed, shown, and processed once redriven after the cause is fixed",
          "[meshctl]") {
  testing::TestDatabase db("it_meshctl_dlq");
  exec(db.url,
       "CREATE TABLE flags (broken boolean NOT NULL); INSERT INTO flags VALUES (true);"
       "CREATE TABLE effects (event_id uuid NOT NULL, key text NOT NULL)");
  const std::string topic = "it.meshctl.dlq." + core::uuid_v7();
  const std::string group = "it-dlq-" + core::uuid_v7().substr(24);
  const std::string dlq = events::dlq_topic(topic, group);
  testing::create_topic(topic, 2);
  testing::create_topic(dlq, 1);
  testing::Infra infra;
  core::PgPool pool(db.url, 2, 5s, infra.log);
  events::ConsumerRunner runner({group, {topic}, stack_var("KAFKA_BROKERS")}, pool, infra.log, infra.metrics);
  runner.on("PRODUCT_UPDATED", 1, [](pqxx::work& tx, const rapidjson::Value&, const events::Consumed& c) {
    if (tx.exec1("SELECT broken FROM flags")[0].as<bool>())
      throw events::PermanentError("downstream is broken (flag set)");
    tx.exec_params("INSERT INTO effects VALUES ($1::uuid, $2)", c.envelope.id, c.envelope.key);
  });
  runner.start();

  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-meshctl"}, infra.log);
  const std::string key = core::uuid_v7();
  auto e = envelope("PRODUCT_UPDATED", key, product_updated(key, "redrive-me"));
  std::vector<Published> sent{{key, e.id, e.type, true}};
  publish(producer, topic, sent, {events::encode(e)});
  REQUIRE(eventually([&] { return runner.counts().dead_lettered == 1; }, 60s));

  auto list = meshctl({"dlq", "list", "--json"});
  REQUIRE(list.exit_code == 0);
  bool listed = false;
  for (const auto& line : list.lines()) {
    auto d = parse(line);
    if (str(d["dlq"]) != dlq) continue;
    listed = true;
    CHECK(d["messages"].GetInt64() == 1);
    CHECK(str(d["group"]) == group);
    CHECK(str(d["topic"]) == topic);
    CHECK(str(d["lastErrorClass"]) == "handler");
    CHECK_FALSE(str(d["newestFailure"]).empty());
  }
  CHECK(listed);
  auto list_text = meshctl({"dlq", "list"});
  CHECK(list_text.out.find(dlq) != std::string::npos);

  auto show = meshctl({"dlq", "show", dlq, "--json"});
  REQUIRE(show.exit_code == 0);
  REQUIRE(show.lines().size() == 1);
  auto shown = parse(show.lines()[0]);
  CHECK(str(shown["deadLetter"]["errorClass"]) == "handler");
  CHECK(str(shown["deadLetter"]["errorMessage"]).find("downstream is broken") != std::string::npos);
  CHECK(str(shown["deadLetter"]["originalTopic"]) == topic);
  CHECK(shown["deadLetter"]["originalOffset"].GetInt64() == sent[0].offset);
  CHECK(str(shown["deadLetter"]["consumerGroup"]) == group);
  CHECK(str(shown["envelope"]["id"]) == e.id);
  CHECK(shown["valid"].GetBool());
  auto show_text = meshctl({"dlq", "show", dlq});
  CHECK(show_text.out.find("class=handler") != std::string::npos);
  CHECK(show_text.out.find("original  " + topic + "[" + std::to_string(sent[0].partition) + "]@" +
                           std::to_string(sent[0].offset)) != std::string::npos);

  auto dry = meshctl({"dlq", "redrive", dlq, "--all", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("would send " + dlq + "[0]@0 -> " + topic) != std::string::npos);
  CHECK(count(db.url, "SELECT count(*) FROM effects") == 0);

  exec(db.url, "UPDATE flags SET broken = false");  // the cause is fixed
  auto redrive = meshctl({"dlq", "redrive", dlq, "--all"});
  INFO(redrive.out + redrive.err);
  REQUIRE(redrive.exit_code == 0);
  CHECK(redrive.out.find("sent " + dlq + "[0]@0 -> " + topic) != std::string::npos);
  REQUIRE(eventually([&] { return count(db.url, "SELECT count(*) FROM effects") == 1; }, 60s));
  CHECK(runner.counts().applied == 1);

  // The copy on the original topic: the original headers, no dlq-*, and where it came from.
  auto tail = meshctl({"tail", topic, "--from-beginning", "--json", "--key", key});
  REQUIRE(tail.exit_code == 0);
  REQUIRE(tail.lines().size() == 2);
  int redriven = 0;
  for (const auto& line : tail.lines()) {
    auto d = parse(line);
    for (const auto& h : d["headers"].GetObject()) CHECK(std::string(h.name.GetString()).rfind("dlq-", 0) != 0);
    if (d["headers"].HasMember("redriven-from")) {
      ++redriven;
      CHECK(str(d["headers"]["redriven-from"]) == dlq + "/0/0");
      CHECK(str(d["headers"]["event-id"]) == e.id);
    }
  }
  CHECK(redriven == 1);

  // A dead letter that still breaks its contract is not sent back (every group would dead-letter it again).
  auto bad = envelope("PRODUCT_UPDATED", key, product_updated(key, "bad", "1.999"));
  std::vector<Published> bad_sent{{key, bad.id, bad.type, false}};
  publish(producer, topic, bad_sent, {events::encode(bad)});
  REQUIRE(eventually([&] { return runner.counts().dead_lettered == 2; }, 60s));
  auto refused = meshctl({"dlq", "redrive", dlq, "--offset", "0:1"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("still invalid") != std::string::npos);
  runner.stop();
  CHECK(count(db.url, "SELECT count(*) FROM effects") == 1);
}

TEST_CASE("meshctl outbox status: each database's slot, its relay, and the WAL it holds back", "[meshctl]") {
  testing::TestDatabase db("it_meshctl_outbox");
  testing::TestDatabase no_relay("it_meshctl_norelay");  // the outbox's publication, no slot yet
  const std::string topic = "it.meshctl.outbox." + core::uuid_v7();
  testing::create_topic(topic, 1);
  testing::Infra infra;
  events::RelayOptions relay_options;
  relay_options.database_url = db.url;
  relay_options.brokers = stack_var("KAFKA_BROKERS");
  relay_options.producer_name = "it-meshctl";
  events::OutboxRelay relay(relay_options, infra.log, infra.metrics);  // creates the slot; started below
  {
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    events::Outbox outbox("it-meshctl");
    for (int i = 0; i < 3; ++i) {
      const std::string key = core::uuid_v7();
      outbox.add(tx, topic, "PRODUCT_UPDATED", 1, key, product_updated(key, "x"), {"corr", "", ""});
    }
    tx.commit();
  }
  auto status_of = [&](const std::string& database) {
    auto json = meshctl({"outbox", "status", "--database", database, "--json"});
    INFO(json.err);
    REQUIRE(json.exit_code == 0);
    REQUIRE(json.lines().size() == 1);
    return parse(json.lines()[0]);
  };
  // No relay: the three events wait in the slot's WAL.
  auto waiting = status_of(db.name);
  CHECK(str(waiting["database"]) == db.name);
  CHECK(str(waiting["slot"]) == events::outbox_slot_name(db.name));
  CHECK(waiting["exists"].GetBool());
  CHECK_FALSE(waiting["active"].GetBool());
  CHECK(str(waiting["walStatus"]) == "reserved");
  CHECK(waiting["unconfirmedBytes"].GetInt64() > 3 * 300);  // at least the three messages
  CHECK(waiting["retainedBytes"].GetInt64() >= waiting["unconfirmedBytes"].GetInt64());
  CHECK(waiting["lagSeconds"].IsNull());

  relay.start();
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  auto streaming = status_of(db.name);
  CHECK(streaming["active"].GetBool());

  auto text = meshctl({"outbox", "status", "--database", db.name, "--database", no_relay.name, "--database", "postgres",
                       "--database", "no_such_db"});
  INFO(text.out + text.err);
  REQUIRE(text.exit_code == 0);
  auto line_of = [&](const std::string& name) {
    for (const auto& line : text.lines())
      if (line.rfind(name + " ", 0) == 0) return line;
    return std::string();
  };
  CHECK(line_of(db.name).find(" streaming ") != std::string::npos);
  CHECK(line_of(no_relay.name).find(" no slot ") != std::string::npos);
  CHECK(text.out.find("postgres (no outbox)") != std::string::npos);
  CHECK(text.out.find("no_such_db (no database)") != std::string::npos);
  auto missing = status_of(no_relay.name);
  CHECK_FALSE(missing["exists"].GetBool());
  CHECK(missing["walStatus"].IsNull());
  relay.stop();
  // The default: the service databases of the stack, each with a relay streaming (every service
  // but cart, which has no events; a relay may be reconnecting after another test's broker restart).
  std::string last;
  const bool all_streaming = eventually(
      [&] {
        auto services = meshctl({"outbox", "status", "--json"});
        last = services.out + services.err;
        int streaming_slots = 0;
        for (const auto& line : services.lines()) {
          auto d = parse(line);
          streaming_slots += d.HasMember("slot") && d["active"].GetBool() ? 1 : 0;
        }
        return services.exit_code == 0 && streaming_slots == 7;
      },
      30s, 500ms);
  INFO(last);
  CHECK(all_streaming);
}

TEST_CASE("meshctl order: one order's events across topics, in order, with who handled them", "[meshctl]") {
  testing::TestDatabase db("it_meshctl_order");
  testing::Infra infra;
  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-meshctl"}, infra.log);
  const std::string order = core::uuid_v7(), user = core::uuid_v7(), product = core::uuid_v7();
  auto created =
      envelope("ORDER_CREATED", order,
               R"({"orderId":")" + order + R"(","userId":")" + user + R"(","items":[{"productId":")" + product +
                   R"(","productName":"Lamp","unitPrice":19.99,"quantity":1,"subtotal":19.99}],"totalAmount":19.99,)"
                   R"("currency":"USD","shippingAddress":null,"createdAt":"2026-11-21T20:00:00.000Z"})");
  std::vector<Published> first{{order, created.id, created.type, true}};
  publish(producer, std::string(events::topic::order), first, {events::encode(created)});
  std::this_thread::sleep_for(5ms);  // occurredAt has millisecond precision
  auto reserved = envelope("STOCK_RESERVED", order,
                           R"({"orderId":")" + order + R"(","items":[{"productId":")" + product +
                               R"(","quantity":1}],"reservedAt":"2026-11-21T20:00:00.050Z"})");
  reserved.causation_id = created.id;
  std::vector<Published> second{{order, reserved.id, reserved.type, true}};
  publish(producer, std::string(events::topic::stock), second, {events::encode(reserved)});
  exec(db.url,
       "INSERT INTO inbox (consumer_group, event_id, type, topic, partition, \"offset\") VALUES ('it-stock', '" +
           created.id + "', 'ORDER_CREATED', 'order.events', 0, 0)");

  auto json = meshctl({"order", order, "--database", db.name, "--json"});
  INFO(json.out + json.err);
  REQUIRE(json.exit_code == 0);
  std::vector<std::string> ids;
  bool handled = false;
  for (const auto& line : json.lines()) {
    auto d = parse(line);
    // Keyed by the order, or (notification.events, keyed by user) naming it in data.orderId.
    const bool about_order =
        str(d["key"]) == order || (d.HasMember("envelope") && d["envelope"]["data"].HasMember("orderId") &&
                                   str(d["envelope"]["data"]["orderId"]) == order);
    CHECK(about_order);
    const std::string id = str(d["envelope"]["id"]);
    ids.push_back(id);
    if (id == created.id)
      for (const auto& h : d["handledBy"].GetArray()) handled = handled || str(h["group"]) == "it-stock";
  }
  const auto c = std::find(ids.begin(), ids.end(), created.id);
  const auto r = std::find(ids.begin(), ids.end(), reserved.id);
  REQUIRE(c != ids.end());
  REQUIRE(r != ids.end());
  CHECK(c < r);
  CHECK(handled);

  auto text = meshctl({"order", order, "--database", db.name});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("order " + order) != std::string::npos);
  CHECK(text.out.find("ORDER_CREATED v1") < text.out.find("STOCK_RESERVED v1"));
  CHECK(text.out.find("handled by  it-stock") != std::string::npos);

  auto unknown = meshctl({"order", core::uuid_v7(), "--no-db"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no events for order") != std::string::npos);
}

TEST_CASE("meshctl: bad arguments give a clear message and exit code 2", "[meshctl]") {
  auto check = [](std::vector<std::string> args, const std::string& message) {
    auto run = meshctl(args);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(message) != std::string::npos);
    CHECK(run.out.empty());
  };
  check({"tail"}, "topic is required");
  check({"replay", "order.events", "--since", "x", "--to-group", "g"}, "--since: 'x' is not a time");
  check({"replay", "order.events", "--since", "5m", "--until", "1m", "--to-group", "g"},
        "--until only applies to --to-topic");
  check({"frobnicate"}, "unknown command 'frobnicate'");
}
