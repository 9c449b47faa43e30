#include "bus_fixture.hpp"

#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <pqxx/pqxx>

#include "shopmesh/core/migrate.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/outbox.hpp"
#include "stack_env.hpp"

namespace shopmesh::testing {

TestDatabase::TestDatabase(const std::string& prefix) {
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
  core::migrate(pool, {{"events", &events::migrations()}}, log);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(stack_var("PG_SUPERUSER_URL"));
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  } catch (...) {
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

std::vector<ReadMessage> read_topic(const std::string& topic, std::size_t count, std::chrono::milliseconds timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", stack_var("KAFKA_BROKERS"), err);
  conf->set("group.id", "it-reader-" + core::uuid_v7(), err);
  conf->set("auto.offset.reset", "earliest", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  consumer->subscribe({topic});
  std::vector<ReadMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    ReadMessage r;
    if (m->key()) r.key = *m->key();
    r.value.assign(static_cast<const char*>(m->payload()), m->len());
    r.partition = m->partition();
    r.offset = m->offset();
    if (m->headers())
      for (const auto& h : m->headers()->get_all())
        if (h.value()) r.headers[h.key()] = std::string(static_cast<const char*>(h.value()), h.value_size());
    out.push_back(std::move(r));
  }
  consumer->close();
  return out;
}

void reset_group_offsets(const std::string& group, const std::string& topic) {
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
    for (const auto* pm : *tm->partitions()) parts.push_back(RdKafka::TopicPartition::create(topic, pm->id(), 0));
  delete md;
  consumer->assign(parts);
  consumer->commitSync(parts);
  consumer->unassign();
  RdKafka::TopicPartition::destroy(parts);
  consumer->close();
}

}  // namespace shopmesh::testing
