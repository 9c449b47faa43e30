// The event bus on the real broker and database: outbox (WAL messages) → relay (replication slot)
// → Kafka → consumer runner.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <pqxx/pqxx>
#include <prometheus/registry.h>
#include <random>
#include <set>
#include <thread>

#include "bus_fixture.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/consumer.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/relay.hpp"
#include "shopmesh/events/topics.hpp"
#include "stack_env.hpp"
#include "test_prelude.hpp"

extern char** environ;

namespace {

// A PRODUCT_UPDATED payload whose name carries a per-key sequence number.
std::string product_updated(const std::string& product_id, int seq) {
  return R"({"productId":")" + product_id + R"(","sku":"SKU-1","name":"seq-)" + std::to_string(seq) +
         R"(","price":19.99,"category":null,"active":true,"updatedAt":"2026-11-21T20:00:00.000Z"})";
}

int seq_of(const std::string& envelope_value) {
  rapidjson::Document d;
  d.Parse(envelope_value.c_str());
  return std::stoi(std::string(d["data"]["name"].GetString()).substr(4));
}

void add_events(const std::string& db_url, const std::string& topic, const std::vector<std::pair<std::string, int>>& events,
                bool commit = true) {
  pqxx::connection c(db_url);
  pqxx::work tx(c);
  events::Outbox outbox("it");
  for (const auto& [key, seq] : events)
    outbox.add(tx, topic, "PRODUCT_UPDATED", 1, key, product_updated(key, seq), {"corr-" + key, "", ""});
  if (commit) tx.commit();
}

// The sum of a counter over a relay's registry (e.g. outbox_published_total).
double counter(prometheus::Registry& metrics, const std::string& name) {
  double total = 0;
  for (const auto& family : metrics.Collect())
    if (family.name == name)
      for (const auto& m : family.metric) total += m.counter.value;
  return total;
}

events::RelayOptions relay_options(const testing::TestDatabase& db) {
  events::RelayOptions o;
  o.database_url = db.url;
  o.brokers = stack_var("KAFKA_BROKERS");
  o.producer_name = "it";
  o.backoff_max = 2s;
  return o;
}

// An effect table: one row per applied event, deliberately without a unique key so that a
// second application would be visible.
void create_effects(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec("CREATE TABLE effects (n bigserial, key text NOT NULL, seq integer NOT NULL, event_id uuid NOT NULL)");
  tx.commit();
}

events::ConsumerRunner::RawHandler record_effect() {
  return [](pqxx::work& tx, const rapidjson::Value& data, const events::Consumed& c) {
    const int seq = std::stoi(std::string(data["name"].GetString()).substr(4));
    tx.exec_params("INSERT INTO effects (key, seq, event_id) VALUES ($1, $2, $3::uuid)", c.envelope.key, seq,
                   c.envelope.id);
  };
}

long long count_effects(const std::string& url, const char* where = "true") {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec1(std::string("SELECT count(*) FROM effects WHERE ") + where)[0].as<long long>();
}

}  // namespace

TEST_CASE("outbox: an event is published after commit and never after rollback", "[bus]") {
  testing::TestDatabase db("it_outbox");
  const std::string topic = "it.outbox." + core::uuid_v7();
  testing::create_topic(topic, 3);
  testing::Infra infra;
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
  relay.start();

  const std::string rolled_back = core::uuid_v7();
  add_events(db.url, topic, {{rolled_back, 1}}, /*commit=*/false);
  const std::string committed = core::uuid_v7();
  add_events(db.url, topic, {{committed, 1}});

  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  auto messages = testing::read_whole_topic(topic, 10s);
  relay.stop();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].key == committed);
  CHECK(messages[0].headers["event-type"] == "PRODUCT_UPDATED");
  CHECK(messages[0].headers["event-version"] == "1");
  CHECK(messages[0].headers["content-type"] == "application/json");
  std::string error;
  auto envelope = events::decode(messages[0].value, error);
  REQUIRE(envelope);
  CHECK(envelope->id == messages[0].headers["event-id"]);
  CHECK(envelope->producer == "it");
  CHECK(envelope->correlation_id == "corr-" + committed);
  CHECK(core::is_uuid(envelope->id));
}

TEST_CASE("outbox: a rolled-back transaction or savepoint publishes none of its events", "[bus]") {
  testing::TestDatabase db("it_outbox_abort");
  const std::string topic = "it.outbox.abort." + core::uuid_v7();
  testing::create_topic(topic, 1);
  testing::Infra infra;
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
  relay.start();
  events::Outbox outbox("it");
  const std::string kept = core::uuid_v7(), aborted = core::uuid_v7(), in_savepoint = core::uuid_v7();
  {
    // Several events, one of them through a flushed batch, then an explicit rollback.
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    for (int seq = 0; seq < 3; ++seq)
      outbox.add(tx, topic, "PRODUCT_UPDATED", 1, aborted, product_updated(aborted, seq), {});
    events::OutboxBatch batch(tx);
    outbox.add(tx, topic, "PRODUCT_UPDATED", 1, aborted, product_updated(aborted, 3), {});
    batch.flush();
    tx.abort();
  }
  {
    // A committed transaction whose savepoint rolled back: only the events outside it go out.
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    outbox.add(tx, topic, "PRODUCT_UPDATED", 1, kept, product_updated(kept, 0), {});
    // Plain SQL: libpqxx 6's subtransaction sends no SAVEPOINT before a prepared statement.
    tx.exec("SAVEPOINT it");
    outbox.add(tx, topic, "PRODUCT_UPDATED", 1, in_savepoint, product_updated(in_savepoint, 0), {});
    tx.exec("ROLLBACK TO SAVEPOINT it");
    outbox.add(tx, topic, "PRODUCT_UPDATED", 1, kept, product_updated(kept, 1), {});
    tx.commit();
  }
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  auto messages = testing::read_whole_topic(topic, 10s);
  relay.stop();
  REQUIRE(messages.size() == 2);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    CHECK(messages[i].key == kept);
    CHECK(seq_of(messages[i].value) == static_cast<int>(i));
  }
}

TEST_CASE("outbox: a flushed batch publishes its events in order, byte for byte, an unflushed one nothing", "[bus]") {
  testing::TestDatabase db("it_outbox_batch");
  const std::string topic = "it.batch." + core::uuid_v7();
  testing::create_topic(topic, 1);
  testing::Infra infra;
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);  // the slot; started below
  events::Outbox outbox("it");
  // Text an array literal must escape: quotes, backslashes, braces, commas, NULL-looking words.
  const std::vector<std::string> names = {R"(plain)", R"(quote " and \ backslash)", R"({braces}, commas)", "NULL",
                                          "caf\u00e9 \u2615", ""};
  std::vector<std::string> ids;
  {
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    events::OutboxBatch batch(tx);
    for (std::size_t i = 0; i < names.size(); ++i) {
      rapidjson::StringBuffer name;
      rapidjson::Writer<rapidjson::StringBuffer>(name).String(names[i].c_str());
      const std::string data = R"({"productId":")" + core::uuid_v7() + R"(","sku":"SKU-1","name":)" +
                               name.GetString() +
                               R"(,"price":1.00,"category":null,"active":true,"updatedAt":"2026-11-22T00:00:00.000Z"})";
      // Every other event carries a traceparent: the others go without the header.
      ids.push_back(outbox.add(tx, topic, "PRODUCT_UPDATED", 1, "k" + std::to_string(i), data,
                               {"corr", "", i % 2 ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : ""}));
    }
    batch.flush();
    tx.commit();
  }
  {
    pqxx::connection c2(db.url);
    pqxx::work tx2(c2);
    events::OutboxBatch batch(tx2);
    outbox.add(tx2, topic, "PRODUCT_UPDATED", 1, "dropped", product_updated(core::uuid_v7(), 1), {});
  }  // not flushed, not committed: nothing is written
  relay.start();
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  auto messages = testing::read_whole_topic(topic, 10s);
  relay.stop();
  REQUIRE(messages.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO(i);
    CHECK(messages[i].headers["event-id"] == ids[i]);
    CHECK(messages[i].key == "k" + std::to_string(i));
    std::string error;
    auto envelope = events::decode(messages[i].value, error);
    REQUIRE(envelope);
    CHECK(envelope->id == ids[i]);
    rapidjson::Document d;
    d.Parse(envelope->data.c_str());
    CHECK(std::string(d["name"].GetString()) == names[i]);
    CHECK(messages[i].headers.count("traceparent") == i % 2);
  }
}

TEST_CASE("outbox: per-key order holds across partitions and a relay restart", "[bus]") {
  testing::TestDatabase db("it_order");
  const std::string topic = "it.order." + core::uuid_v7();
  testing::create_topic(topic, 6);
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(core::uuid_v7());
  std::map<std::string, int> next_seq;
  std::mt19937 rng(42);
  auto write_batch = [&](int transactions) {
    for (int t = 0; t < transactions; ++t) {
      std::vector<std::pair<std::string, int>> batch;
      for (int i = 0; i < 10; ++i) {
        const auto& key = keys[rng() % keys.size()];
        batch.emplace_back(key, next_seq[key]++);
      }
      add_events(db.url, topic, batch);
    }
  };
  testing::Infra infra;
  {
    // Constructed, the relay has created the slot: what is committed from now on waits there.
    events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
    write_batch(25);
    relay.start();
    write_batch(10);
    std::this_thread::sleep_for(50ms);
    relay.stop();  // stopped mid-stream: some events are published, some are not
  }
  write_batch(15);
  events::OutboxRelay second(relay_options(db), infra.log, infra.metrics);
  second.start();
  REQUIRE(testing::outbox_caught_up(db.url, 30s));
  second.stop();

  auto messages = testing::read_whole_topic(topic, 30s);  // duplicates included: none may come
  REQUIRE(messages.size() == 500);
  std::map<std::string, std::vector<int>> seqs;
  std::map<std::string, std::set<int>> partitions;
  std::set<std::string> ids;
  // Messages of one key are in one partition; read order within a partition is offset order.
  std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  for (const auto& m : messages) {
    seqs[m.key].push_back(seq_of(m.value));
    partitions[m.key].insert(m.partition);
    ids.insert(m.headers.at("event-id"));
  }
  CHECK(ids.size() == 500);
  for (const auto& [key, s] : seqs) {
    INFO(key);
    CHECK(partitions[key].size() == 1);
    CHECK(std::is_sorted(s.begin(), s.end()));
    CHECK(static_cast<int>(s.size()) == next_seq[key]);
  }
}

TEST_CASE("outbox: a relay started after a stop publishes what was committed meanwhile, and nothing again", "[bus]") {
  testing::TestDatabase db("it_resume");
  const std::string topic = "it.resume." + core::uuid_v7();
  testing::create_topic(topic, 3);
  testing::Infra infra;
  core::PgPool pool(db.url, 1, 5s, infra.log);
  const std::string before = core::uuid_v7(), during = core::uuid_v7();
  {
    events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
    relay.start();
    add_events(db.url, topic, {{before, 0}, {before, 1}});
    REQUIRE(testing::outbox_caught_up(db.url, 20s));
    relay.stop();
  }
  // Stopped: the slot is free, and keeps the WAL of what is committed now, unconfirmed.
  REQUIRE(eventually([&] { return !events::outbox_slot_status(pool).active; }, 10s));
  const auto idle = events::outbox_slot_status(pool);
  for (int seq = 0; seq < 5; ++seq) add_events(db.url, topic, {{during, seq}});
  const auto waiting = events::outbox_slot_status(pool);
  CHECK(waiting.exists);
  CHECK_FALSE(waiting.active);
  CHECK(waiting.wal_status == "reserved");
  CHECK(waiting.unconfirmed_bytes > idle.unconfirmed_bytes);
  CHECK(waiting.retained_bytes >= waiting.unconfirmed_bytes);
  CHECK_FALSE(testing::outbox_caught_up(db.url, 1s));

  // A new relay streams from the slot's confirmed position: the events of the stop, once; the
  // ones published before it, not again.
  events::OutboxRelay next(relay_options(db), infra.log, infra.metrics);
  next.start();
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  CHECK(events::outbox_slot_status(pool).active);
  auto messages = testing::read_whole_topic(topic, 10s);
  next.stop();
  REQUIRE(messages.size() == 7);
  std::map<std::string, std::vector<int>> seqs;
  for (const auto& m : messages) seqs[m.key].push_back(seq_of(m.value));
  CHECK(seqs[before] == std::vector<int>{0, 1});
  CHECK(seqs[during] == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("outbox: two relays on one database: one streams, the other stands by and takes over", "[bus]") {
  testing::TestDatabase db("it_standby");
  const std::string topic = "it.standby." + core::uuid_v7();
  testing::create_topic(topic, 3);
  testing::Infra infra_a, infra_b;
  core::PgPool pool(db.url, 1, 5s, infra_a.log);
  auto a = std::make_unique<events::OutboxRelay>(relay_options(db), infra_a.log, infra_a.metrics);
  events::OutboxRelay b(relay_options(db), infra_b.log, infra_b.metrics);
  a->start();
  REQUIRE(eventually([&] { return events::outbox_slot_status(pool).active; }, 10s));
  b.start();  // the slot admits one reader: b stands by
  const std::string key = core::uuid_v7();
  for (int seq = 0; seq < 10; ++seq) add_events(db.url, topic, {{key, seq}});
  REQUIRE(testing::outbox_caught_up(db.url, 20s));
  CHECK(counter(infra_a.metrics, "outbox_published_total") == 10);
  CHECK(counter(infra_b.metrics, "outbox_published_total") == 0);

  a.reset();  // b takes the slot within its stand-by retry
  for (int seq = 10; seq < 20; ++seq) add_events(db.url, topic, {{key, seq}});
  REQUIRE(testing::outbox_caught_up(db.url, 30s));
  CHECK(counter(infra_b.metrics, "outbox_published_total") == 10);
  b.stop();
  auto messages = testing::read_whole_topic(topic, 10s);
  REQUIRE(messages.size() == 20);
  std::vector<int> seqs;
  for (const auto& m : messages) seqs.push_back(seq_of(m.value));
  std::vector<int> expected(20);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(seqs == expected);
}

TEST_CASE("producer: its ready descriptor wakes a waiting thread for each acknowledgement, and only then", "[bus]") {
  const std::string topic = "it.ready." + core::uuid_v7();
  testing::create_topic(topic, 1);
  testing::Infra infra;
  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-ready", 30s, 0ms}, infra.log);
  const int fd = producer.ready_fd();
  auto readable = [&](std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
  };
  CHECK_FALSE(readable(200ms));  // nothing sent, nothing to report
  for (int round = 0; round < 2; ++round) {
    int delivered = 0;
    events::Envelope h;
    h.id = core::uuid_v7();
    h.type = "PRODUCT_UPDATED";
    REQUIRE(producer.send(topic, "k", "{}", events::envelope_headers(h),
                          [&](const events::Delivery& d) { delivered += d.ok ? 1 : 0; }));
    REQUIRE(readable(10s));  // the acknowledgement arrived: a waiting thread wakes
    producer.clear_ready();
    producer.poll(0ms);
    CHECK(delivered == 1);
    CHECK_FALSE(readable(200ms));  // served and cleared: quiet until the next report
  }
}

TEST_CASE("consumer: a re-delivered message changes nothing, a poison message goes to the DLQ", "[bus]") {
  testing::TestDatabase db("it_consume");
  create_effects(db.url);
  const std::string topic = "it.consume." + core::uuid_v7();
  const std::string group = "it-group-" + core::uuid_v7().substr(24);
  testing::create_topic(topic, 3);
  testing::create_topic(events::dlq_topic(topic, group), 1);
  testing::Infra infra;
  core::PgPool pool(db.url, 2, 5s, infra.log);

  std::vector<std::pair<std::string, int>> batch;
  const std::string key = core::uuid_v7();
  for (int i = 0; i < 20; ++i) batch.emplace_back(key, i);
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
  add_events(db.url, topic, batch);
  relay.start();
  REQUIRE(testing::outbox_caught_up(db.url, 20s));

  auto make_runner = [&] {
    auto r = std::make_unique<events::ConsumerRunner>(events::ConsumerOptions{group, {topic}, stack_var("KAFKA_BROKERS")},
                                                      pool, infra.log, infra.metrics);
    r->on("PRODUCT_UPDATED", 1, record_effect());
    return r;
  };
  {
    auto runner = make_runner();
    runner->start();
    REQUIRE(eventually([&] { return count_effects(db.url) == 20; }, 30s));
    // Poison: garbage bytes, the wrong schema, an unknown type, an unknown version; then a good one.
    events::Producer producer({stack_var("KAFKA_BROKERS"), "it-poison"}, infra.log);
    auto send = [&](const std::string& value, const std::string& type) {
      events::Envelope h;
      h.id = core::uuid_v7();
      h.type = type;
      producer.send(topic, key, value, events::envelope_headers(h), [](const events::Delivery&) {});
    };
    auto envelope_of = [&](const std::string& type, int version, const std::string& data) {
      events::Envelope e;
      e.id = core::uuid_v7();
      e.type = type;
      e.version = version;
      e.occurred_at = events::now_rfc3339();
      e.producer = "it";
      e.key = key;
      e.correlation_id = e.id;
      e.data = data;
      return events::encode(e);
    };
    send("\x01\x02 not json at all", "PRODUCT_UPDATED");
    send(envelope_of("PRODUCT_UPDATED", 1, R"({"productId":"nope","price":19.999})"), "PRODUCT_UPDATED");
    send(envelope_of("NO_SUCH_EVENT", 1, R"({})"), "NO_SUCH_EVENT");
    send(envelope_of("PRODUCT_UPDATED", 99, product_updated(key, 100)), "PRODUCT_UPDATED");
    send(envelope_of("PRODUCT_UPDATED", 1, product_updated(key, 20)), "PRODUCT_UPDATED");
    REQUIRE(producer.flush(10s));
    REQUIRE(eventually([&] { return count_effects(db.url) == 21; }, 30s));
    CHECK(eventually([&] { return runner->counts().dead_lettered == 4; }, 10s));
    runner->stop();
  }
  auto dead = testing::read_topic(events::dlq_topic(topic, group), 4, 20s);
  REQUIRE(dead.size() == 4);
  std::multiset<std::string> classes;
  for (const auto& m : dead) {
    classes.insert(m.headers.at("dlq-error-class"));
    CHECK(m.headers.at("dlq-original-topic") == topic);
    CHECK_FALSE(m.headers.at("dlq-error-message").empty());
    CHECK(m.headers.count("dlq-original-offset") == 1);
  }
  CHECK(classes == std::multiset<std::string>{"decode", "invalid", "unknown-type", "unknown-version"});

  // Re-deliver everything from offset 0: the inbox turns every message into a no-op.
  testing::reset_group_offsets(group, topic);
  auto again = make_runner();
  again->start();
  REQUIRE(eventually([&] { return again->counts().duplicates == 21; }, 30s));
  again->stop();
  relay.stop();
  CHECK(count_effects(db.url) == 21);
  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  CHECK(tx.exec1("SELECT count(DISTINCT event_id) FROM effects")[0].as<long long>() == 21);
}

TEST_CASE("bus: a broker down for 10 s while 1,000 events are written delays but loses nothing", "[bus][broker-restart]") {
  testing::TestDatabase db("it_outage");
  create_effects(db.url);
  const std::string topic = "it.outage." + core::uuid_v7();
  const std::string group = "it-outage-" + core::uuid_v7().substr(24);
  testing::create_topic(topic, 6);
  testing::create_topic(events::dlq_topic(topic, group), 1);
  testing::Infra infra;
  core::PgPool pool(db.url, 2, 5s, infra.log);
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
  relay.start();
  events::ConsumerRunner runner({group, {topic}, stack_var("KAFKA_BROKERS")}, pool, infra.log, infra.metrics);
  runner.on("PRODUCT_UPDATED", 1, record_effect());
  runner.start();

  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) keys.push_back(core::uuid_v7());
  std::map<std::string, int> next_seq;
  auto write = [&](int n) {
    std::vector<std::pair<std::string, int>> batch;
    for (int i = 0; i < n; ++i) {
      const auto& k = keys[static_cast<std::size_t>(i) % keys.size()];
      batch.emplace_back(k, next_seq[k]++);
    }
    add_events(db.url, topic, batch);
  };
  write(100);  // warm: the consumer is assigned and running before the outage
  REQUIRE(eventually([&] { return count_effects(db.url) == 100; }, 60s));

  // Kill the broker (-9) and keep writing for 10 seconds.
  const std::string state = stack_var("SHOPMESH_STATE_DIR");
  std::ifstream pid_file(state + "/run/kafka.pid");
  long pid = 0;
  pid_file >> pid;
  REQUIRE(pid > 0);
  REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
  const auto outage_end = std::chrono::steady_clock::now() + 10s;
  int written = 100;
  while (written < 1100) {
    write(50);
    written += 50;
    if (std::chrono::steady_clock::now() < outage_end) std::this_thread::sleep_for(400ms);
  }
  std::this_thread::sleep_until(outage_end);
  // Nothing Kafka has not acknowledged is confirmed to the slot.
  CHECK_FALSE(testing::outbox_caught_up(db.url, 1s));
  // Bring the broker back with the launcher (it starts only what is not running).
  const std::string repo = stack_var("SHOPMESH_REPO");
  REQUIRE(std::system((repo + "/scripts/stack up > " + state + "/log/it-restart.log 2>&1").c_str()) == 0);

  REQUIRE(testing::outbox_caught_up(db.url, 120s));
  REQUIRE(eventually([&] { return count_effects(db.url) == 1100; }, 120s));
  runner.stop();
  relay.stop();
  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  CHECK(tx.exec1("SELECT count(DISTINCT event_id) FROM effects")[0].as<long long>() == 1100);
  // Per key, effects were applied in sequence order.
  auto rows = tx.exec("SELECT key, array_agg(seq ORDER BY n) = array_agg(seq ORDER BY seq) FROM effects GROUP BY key");
  for (const auto& r : rows) {
    INFO(r[0].as<std::string>());
    CHECK(r[1].as<bool>());
  }
}

namespace {

// The consumer of the kill tests, in the child process that is killed and in its replacement: a
// static member when `instance` is set (with a session that outlives the test's deadline, so that
// only a takeover by instance id passes), else a dynamic one with the default session timeout.
events::ConsumerOptions restart_options(const std::string& group, const std::string& topic, const std::string& instance) {
  events::ConsumerOptions o{.group = group, .topics = {topic}, .brokers = stack_var("KAFKA_BROKERS")};
  if (!instance.empty()) {
    o.instance_id = instance;
    o.session_timeout = 45s;
  }
  return o;
}

// Runs a consumer in a child process (this binary, the hidden test case below), lets it apply 10
// events, kills it with SIGKILL, starts its replacement here and publishes 10 more: true when the
// replacement applied them within `deadline`. Every event is applied exactly once either way.
bool replacement_resumes(const std::string& instance, std::chrono::seconds deadline) {
  testing::TestDatabase db("it_restart");
  create_effects(db.url);
  const std::string topic = "it.restart." + core::uuid_v7();
  const std::string group = "it-restart-" + core::uuid_v7().substr(24);
  testing::create_topic(topic, 3);
  testing::create_topic(events::dlq_topic(topic, group), 1);
  testing::Infra infra;
  events::Producer producer({stack_var("KAFKA_BROKERS"), "it-restart"}, infra.log);
  int next = 0;
  auto publish = [&](int n) {
    for (int i = 0; i < n; ++i, ++next) {
      events::Envelope e;
      e.id = core::uuid_v7();
      e.type = "PRODUCT_UPDATED";
      e.version = 1;
      e.occurred_at = events::now_rfc3339();
      e.producer = "it";
      e.key = core::uuid_v7();
      e.correlation_id = e.id;
      e.data = product_updated(e.key, next);
      producer.send(topic, e.key, events::encode(e), events::envelope_headers(e), [](const events::Delivery&) {});
    }
    REQUIRE(producer.flush(10s));
  };

  std::vector<std::string> env;
  for (char** v = environ; *v != nullptr; ++v) env.emplace_back(*v);
  env.push_back("IT_CHILD_GROUP=" + group);
  env.push_back("IT_CHILD_TOPIC=" + topic);
  env.push_back("IT_CHILD_DB=" + db.url);
  env.push_back("IT_CHILD_INSTANCE=" + instance);
  std::vector<char*> envp;
  for (auto& v : env) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string self = "/proc/self/exe", name = "consumer: child process of the kill tests", out = "--out",
              sink = "/dev/null";
  char* argv[] = {self.data(), name.data(), out.data(), sink.data(), nullptr};
  pid_t child = 0;
  REQUIRE(::posix_spawn(&child, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) == 0);
  publish(10);
  const bool consumed = eventually([&] { return count_effects(db.url) == 10; }, 60s);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  REQUIRE(consumed);

  core::PgPool pool(db.url, 2, 5s, infra.log);
  events::ConsumerRunner runner(restart_options(group, topic, instance), pool, infra.log, infra.metrics);
  runner.on("PRODUCT_UPDATED", 1, record_effect());
  runner.start();
  publish(10);
  const bool resumed = eventually([&] { return count_effects(db.url) == 20; }, deadline);
  if (!resumed) eventually([&] { return count_effects(db.url) == 20; }, 60s);  // to count its effects below
  runner.stop();
  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  CHECK(tx.exec1("SELECT count(DISTINCT event_id) FROM effects")[0].as<long long>() ==
        tx.exec1("SELECT count(*) FROM effects")[0].as<long long>());
  return resumed;
}

}  // namespace

// Not a test by itself (hidden): the process the kill tests spawn, then kill with SIGKILL.
TEST_CASE("consumer: child process of the kill tests", "[.][bus-child]") {
  const char* group = std::getenv("IT_CHILD_GROUP");
  REQUIRE(group != nullptr);  // run by hand without the parent's environment: a failure, not a pass
  testing::Infra infra;
  core::PgPool pool(std::getenv("IT_CHILD_DB"), 2, 5s, infra.log);
  events::ConsumerRunner runner(
      restart_options(group, std::getenv("IT_CHILD_TOPIC"), std::getenv("IT_CHILD_INSTANCE")), pool, infra.log,
      infra.metrics);
  runner.on("PRODUCT_UPDATED", 1, record_effect());
  runner.start();
  std::this_thread::sleep_for(300s);
}

// A consumer killed -9 leaves its member behind, and its replacement gets no partition until the
// broker expires that member: with librdkafka's 45 s session timeout the group stood still for 45 s.
TEST_CASE("consumer: killed -9, its replacement resumes within the session timeout", "[bus][consumer-restart]") {
  CHECK(replacement_resumes("", 30s));
}

// Opt-in static membership: restarted under the same group.instance.id it takes over at once, however
// long the session timeout (45 s here).
TEST_CASE("consumer: killed -9, restarted under its instance id, it takes over at once", "[bus][consumer-restart]") {
  CHECK(replacement_resumes("it-" + core::uuid_v7().substr(24), 20s));
}

TEST_CASE("consumer: a batch handler gets runs of consecutive messages, in order, each applied once", "[bus]") {
  testing::TestDatabase db("it_runs");
  create_effects(db.url);
  const std::string topic = "it.runs." + core::uuid_v7();
  const std::string group = "it-group-" + core::uuid_v7().substr(24);
  testing::create_topic(topic, 1);
  testing::create_topic(events::dlq_topic(topic, group), 1);
  testing::Infra infra;
  core::PgPool pool(db.url, 2, 5s, infra.log);
  const std::string key = core::uuid_v7();
  // PRODUCT_UPDATED seq 0..29, with a PRODUCT_DELETED (a one-at-a-time handler) in place of 10 and 20.
  auto add = [&](int from, int to) {
    pqxx::connection c(db.url);
    pqxx::work tx(c);
    events::Outbox outbox("it");
    for (int seq = from; seq < to; ++seq) {
      if (seq % 10 == 0 && seq > 0 && seq < 30)
        outbox.add(tx, topic, "PRODUCT_DELETED", 1, key,
                   R"({"productId":")" + key + R"(","deletedAt":"2026-11-21T20:00:00.000Z"})", {"corr", "", ""});
      else
        outbox.add(tx, topic, "PRODUCT_UPDATED", 1, key, product_updated(key, seq), {"corr", "", ""});
    }
    tx.commit();
  };
  events::OutboxRelay relay(relay_options(db), infra.log, infra.metrics);
  add(0, 30);
  relay.start();
  REQUIRE(testing::outbox_caught_up(db.url, 20s));

  std::mutex mutex;
  std::vector<std::size_t> runs;
  events::ConsumerRunner runner(events::ConsumerOptions{group, {topic}, stack_var("KAFKA_BROKERS")}, pool, infra.log,
                                infra.metrics);
  runner.on_batch("PRODUCT_UPDATED", 1, [&](pqxx::work& tx, const std::vector<events::ConsumerRunner::Item>& run) {
    {
      std::lock_guard lock(mutex);
      runs.push_back(run.size());
    }
    for (const auto& item : run) {
      const int seq = std::stoi(std::string(item.data["name"].GetString()).substr(4));
      if (seq == 33) throw events::PermanentError("seq 33 can never be applied");
      tx.exec_params("INSERT INTO effects (key, seq, event_id) VALUES ($1, $2, $3::uuid)", item.consumed.envelope.key,
                     seq, item.consumed.envelope.id);
    }
  });
  runner.on("PRODUCT_DELETED", 1, [](pqxx::work& tx, const rapidjson::Value&, const events::Consumed& c) {
    tx.exec_params("INSERT INTO effects (key, seq, event_id) VALUES ($1, -1, $2::uuid)", c.envelope.key, c.envelope.id);
  });
  runner.start();
  REQUIRE(eventually([&] { return count_effects(db.url) == 30; }, 30s));
  {
    std::lock_guard lock(mutex);
    CHECK(*std::max_element(runs.begin(), runs.end()) > 1);  // the waiting messages came as runs
  }
  // A run whose handler fails is applied again one message at a time: only the bad one is dead-lettered.
  add(30, 36);
  REQUIRE(eventually([&] { return count_effects(db.url) == 35; }, 30s));
  CHECK(eventually([&] { return runner.counts().dead_lettered == 1; }, 10s));
  runner.stop();
  relay.stop();

  std::vector<int> expected;
  for (int seq = 0; seq < 36; ++seq)
    if (seq != 33) expected.push_back(seq % 10 == 0 && seq > 0 && seq < 30 ? -1 : seq);
  std::vector<int> applied;
  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  for (const auto& row : tx.exec("SELECT seq FROM effects ORDER BY n")) applied.push_back(row[0].as<int>());
  CHECK(applied == expected);
  CHECK(tx.exec1("SELECT count(DISTINCT event_id) FROM effects")[0].as<long long>() == 35);
}
