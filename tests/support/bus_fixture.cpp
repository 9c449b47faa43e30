#include "bus_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <pqxx/pqxx>

#include "shopmesh/core/migrate.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"
#include "stack_env.hpp"

namespace shopmesh::testing {

TestDatabase::TestDatabase(const std::string& prefix)
    : TestDatabase(prefix, {{"events", &events::migrations()}}) {}

TestDatabase::TestDatabase(const std::string& prefix, const std::vector<core::MigrationSet>& sets) {
  name = prefix + "_" + core::uuid_v7().substr(24);
  const std::string admin = stack_var("PG_SUPERUSER_URL");
  {
    pqxx::connection c(admin);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  }
  auto slash = admin.rfind('/');
  url = admin.substr(0, slash + 1) + name;
  core::Logger log("it", core::LogLevel::warn);
  core::PgPool pool(url, 2, std::chrono::seconds(30), log);
  core::migrate(pool, sets, log);
}

namespace {

const core::Sql kDropIdleSlots{
    "test.drop_idle_slots",
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active"};
const core::Sql kActiveSlots{"test.active_slots",
                             "SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1 AND active"};

}  // namespace

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(stack_var("PG_SUPERUSER_URL"));
    pqxx::nontransaction tx(c);
    // A stopped relay's walsender lets go of the slot a moment after the relay disconnected. A
    // relay still streaming (it outlives its database: a test bug) loses its walsender after 10 s.
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const auto deadline = grace + std::chrono::seconds(10);
    for (bool warned = false;; std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
      try {
        core::exec(tx, kDropIdleSlots, name);
      } catch (const pqxx::sql_error&) {
        // taken by a walsender between the query's check and the drop: next round
      }
      const auto active = core::exec(tx, kActiveSlots, name);
      if (active.empty() || std::chrono::steady_clock::now() >= deadline) break;
      if (std::chrono::steady_clock::now() >= grace) {
        if (!warned)
          std::fprintf(stderr, "TestDatabase %s: slot %s is still read by a relay; ending its walsender\n",
                       name.c_str(), active[0][0].c_str());
        warned = true;
        for (const auto& row : active) tx.exec_params("SELECT pg_terminate_backend($1)", row[1].as<int>());
      }
    }
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "TestDatabase %s was not dropped: %s\n", name.c_str(), e.what());
  }
}

void create_topic(const std::string& name, int partitions) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", stack_var("KAFKA_BROKERS").c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
}

namespace {

// Reads every partition of a topic from its beginning with a consumer of its own (assigned, so no
// group to join), and knows where each partition ended when the scan started.
class TopicScan {
 public:
  TopicScan(const std::string& topic, std::chrono::steady_clock::time_point deadline) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", stack_var("KAFKA_BROKERS"), err);
    conf->set("group.id", "it-reader-" + core::uuid_v7(), err);  // required, never joined
    conf->set("enable.auto.commit", "false", err);
    conf->set("enable.partition.eof", "true", err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer_) throw std::runtime_error("kafka consumer: " + err);
    std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer_.get(), topic, nullptr, err));
    std::vector<int> partitions;
    // A topic the stack or the test created a moment ago may not be in the metadata yet.
    while (partitions.empty() && std::chrono::steady_clock::now() < deadline) {
      RdKafka::Metadata* md = nullptr;
      if (consumer_->metadata(false, handle.get(), &md, 5000) == RdKafka::ERR_NO_ERROR)
        for (const auto* tm : *md->topics())
          if (tm->err() == RdKafka::ERR_NO_ERROR)
            for (const auto* pm : *tm->partitions()) partitions.push_back(pm->id());
      delete md;
      if (partitions.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::vector<RdKafka::TopicPartition*> assignment;
    for (int p : partitions) {
      int64_t low = 0, high = 0;
      if (consumer_->query_watermark_offsets(topic, p, &low, &high, 5000) != RdKafka::ERR_NO_ERROR)
        throw std::runtime_error("kafka: no watermarks for " + topic);
      partitions_[p] = {low, high};
      assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
    }
    consumer_->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
  }
  ~TopicScan() {
    consumer_->unassign();
    consumer_->close();
  }
  TopicScan(const TopicScan&) = delete;
  TopicScan& operator=(const TopicScan&) = delete;

  /// The next message, or nullptr after waiting up to 100 ms.
  std::unique_ptr<RdKafka::Message> next() {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
    auto p = partitions_.find(m->partition());
    if (m->err() == RdKafka::ERR__PARTITION_EOF && p != partitions_.end())
      p->second.next = std::max<int64_t>(p->second.next, m->offset());
    if (m->err() != RdKafka::ERR_NO_ERROR) return nullptr;
    if (p != partitions_.end()) p->second.next = std::max<int64_t>(p->second.next, m->offset() + 1);
    return m;
  }

  /// True once every partition was read up to where it ended when the scan started.
  bool read_to_start_end() const {
    return std::all_of(partitions_.begin(), partitions_.end(),
                       [](const auto& p) { return p.second.next >= p.second.end; });
  }

 private:
  struct Progress {
    int64_t next = 0;  // the offset after the last one read
    int64_t end = 0;   // the high watermark when the scan started
  };
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<int, Progress> partitions_;
};

std::string header(RdKafka::Message& m, const std::string& name) {
  if (m.headers())
    for (const auto& h : m.headers()->get_all())
      if (h.key() == name && h.value()) return std::string(static_cast<const char*>(h.value()), h.value_size());
  return {};
}

std::vector<events::Envelope> collect(const std::string& topic, const std::string* key,
                                      const std::function<bool(const events::Envelope&)>& wanted, std::size_t at_least,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TopicScan scan(topic, deadline);
  std::vector<events::Envelope> found;
  std::set<std::string> ids;
  while (!(scan.read_to_start_end() && found.size() >= at_least) && std::chrono::steady_clock::now() < deadline) {
    auto m = scan.next();
    if (!m || (key && (!m->key() || *m->key() != *key))) continue;
    std::string error;
    auto e = events::decode({static_cast<const char*>(m->payload()), m->len()}, error);
    if (!e || !wanted(*e) || !ids.insert(e->id).second) continue;
    e->traceparent = header(*m, "traceparent");
    found.push_back(std::move(*e));
  }
  return found;
}

const core::Sql kMark{"test.mark", "SELECT pg_logical_emit_message(false, 'shopmesh.test.mark', '')::text"};
const core::Sql kConfirmedPast{
    "test.confirmed_past",
    "SELECT coalesce(confirmed_flush_lsn >= $2::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = $1"};

ReadMessage read_message(RdKafka::Message& m) {
  ReadMessage r;
  if (m.key()) r.key = *m.key();
  r.value.assign(static_cast<const char*>(m.payload()), m.len());
  r.partition = m.partition();
  r.offset = m.offset();
  if (m.headers())
    for (const auto& h : m.headers()->get_all())
      if (h.value()) r.headers[h.key()] = std::string(static_cast<const char*>(h.value()), h.value_size());
  return r;
}

}  // namespace

std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TopicScan scan(topic, deadline);
  std::vector<ReadMessage> out;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline)
    if (auto m = scan.next()) out.push_back(read_message(*m));
  return out;
}

std::vector<ReadMessage> read_whole_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TopicScan scan(topic, deadline);
  std::vector<ReadMessage> out;
  while (!scan.read_to_start_end()) {
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error("kafka: " + topic + " not read in time");
    if (auto m = scan.next()) out.push_back(read_message(*m));
  }
  return out;
}

std::vector<events::Envelope> published_events(const std::string& topic,
                                               const std::function<bool(const events::Envelope&)>& wanted,
                                               std::size_t at_least, std::chrono::milliseconds timeout) {
  return collect(topic, nullptr, wanted, at_least, timeout);
}

std::vector<events::Envelope> published_events(const std::string& topic, const std::string& key, std::size_t at_least,
                                               std::chrono::milliseconds timeout) {
  return collect(
      topic, &key, [](const events::Envelope&) { return true; }, at_least, timeout);
}

bool outbox_caught_up(const std::string& db_url, std::chrono::milliseconds timeout) {
  pqxx::connection c(db_url);
  pqxx::nontransaction tx(c);
  const std::string slot = events::outbox_slot_name(c.dbname());
  const std::string mark = core::exec1(tx, kMark)[0].as<std::string>();
  auto marked = std::chrono::steady_clock::now();
  return eventually(
      [&] {
        const auto confirmed = core::exec(tx, kConfirmedPast, slot, mark);
        if (!confirmed.empty() && confirmed[0][0].as<bool>()) return true;
        // The relay moves its slot over WAL without events when a keepalive finds nothing in
        // flight; fresh WAL makes the walsender send another one.
        if (std::chrono::steady_clock::now() - marked >= std::chrono::milliseconds(500)) {
          core::exec(tx, kMark);
          marked = std::chrono::steady_clock::now();
        }
        return false;
      },
      timeout, std::chrono::milliseconds(20));
}

void reset_group_offsets(const std::string& group, const std::string& topic, GroupStart to) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", stack_var("KAFKA_BROKERS"), err);
  conf->set("group.id", group, err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  RdKafka::Metadata* md = nullptr;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
  consumer->metadata(false, t.get(), &md, 10000);
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto* tm : *md->topics())
    for (const auto* pm : *tm->partitions()) {
      std::int64_t low = 0, high = 0;
      if (to == GroupStart::end &&
          consumer->query_watermark_offsets(topic, pm->id(), &low, &high, 10000) != RdKafka::ERR_NO_ERROR)
        throw std::runtime_error("no watermark offsets for " + topic);
      parts.push_back(RdKafka::TopicPartition::create(topic, pm->id(), to == GroupStart::end ? high : 0));
    }
  delete md;
  consumer->assign(parts);
  // The services are static members of their groups: one that stopped stays a member until its
  // session times out, and until then the group refuses a commit from outside it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (consumer->commitSync(parts) != RdKafka::ERR_NO_ERROR && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  consumer->unassign();
  RdKafka::TopicPartition::destroy(parts);
  consumer->close();
}

}  // namespace shopmesh::testing
