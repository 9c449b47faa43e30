#include "shopmesh/events/consumer.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/topics.hpp"
#include "validation.hpp"

namespace shopmesh::events {
namespace {

enum class Outcome { applied, duplicate, ignored, dead_lettered, stopped };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::applied: return "applied";
    case Outcome::duplicate: return "duplicate";
    case Outcome::ignored: return "ignored";
    case Outcome::dead_lettered: return "dead_lettered";
    case Outcome::stopped: return "stopped";
  }
  return "unknown";
}

struct DeadLetter {
  std::string error_class;  // decode | invalid | unknown-type | unknown-version | handler
  std::string message;
};

std::string header_value(RdKafka::Message& m, const char* name) {
  RdKafka::Headers* h = m.headers();
  if (h == nullptr) return {};
  auto header = h->get_last(name);
  if (header.err() != RdKafka::ERR_NO_ERROR || header.value() == nullptr) return {};
  return std::string(static_cast<const char*>(header.value()), header.value_size());
}

}  // namespace

struct ConsumerRunner::Impl {
  Impl(ConsumerOptions o, core::PgPool& d, core::Logger& l, prometheus::Registry& registry)
      : options(std::move(o)),
        db(d),
        log(l),
        processed(prometheus::BuildCounter()
                      .Name("events_consumed_total")
                      .Help("Consumed events by group, type and outcome")
                      .Register(registry)) {}

  Outcome process(RdKafka::Message& m);
  Outcome apply(const Envelope& e, const rapidjson::Value& data, const RawHandler& handler, RdKafka::Message& m);
  bool dead_letter(RdKafka::Message& m, const DeadLetter& why);
  void count(const std::string& type, const char* outcome) {
    processed.Add({{"group", options.group}, {"type", type}, {"outcome", outcome}}).Increment();
  }
  void sleep_interruptible(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopping && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(50)));
  }

  ConsumerOptions options;
  core::PgPool& db;
  core::Logger& log;
  prometheus::Family<prometheus::Counter>& processed;
  std::map<std::pair<std::string, int>, RawHandler> handlers;
  std::unique_ptr<Producer> dlq;
  std::thread thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex counts_mutex;
  Counts counts;
};

ConsumerRunner::ConsumerRunner(ConsumerOptions options, core::PgPool& db, core::Logger& log,
                               prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), db, log, metrics)) {}

ConsumerRunner::~ConsumerRunner() { stop(); }

void ConsumerRunner::on(std::string type, int version, RawHandler handler) {
  impl_->handlers[{std::move(type), version}] = std::move(handler);
}

ConsumerRunner::Counts ConsumerRunner::counts() const {
  std::lock_guard lock(impl_->counts_mutex);
  return impl_->counts;
}

bool ConsumerRunner::Impl::dead_letter(RdKafka::Message& m, const DeadLetter& why) {
  const std::string topic = dlq_topic(m.topic_name(), options.group);
  Producer::HeaderList headers;
  if (RdKafka::Headers* original = m.headers()) {
    for (const auto& h : original->get_all())
      if (h.value() != nullptr)
        headers.emplace_back(h.key(), std::string(static_cast<const char*>(h.value()), h.value_size()));
  }
  headers.emplace_back("dlq-error-class", why.error_class);
  headers.emplace_back("dlq-error-message", why.message.substr(0, 2000));
  headers.emplace_back("dlq-original-topic", m.topic_name());
  headers.emplace_back("dlq-original-partition", std::to_string(m.partition()));
  headers.emplace_back("dlq-original-offset", std::to_string(m.offset()));
  headers.emplace_back("dlq-consumer-group", options.group);
  headers.emplace_back("dlq-failed-at", now_rfc3339());
  const std::string key = m.key() ? *m.key() : std::string{};
  const std::string value(static_cast<const char*>(m.payload()), m.len());
  // The offset is stored only once the dead letter is safely in Kafka.
  while (!stopping) {
    Delivery result;
    bool done = false;
    if (dlq->send(topic, key, value, headers, [&](const Delivery& d) {
          result = d;
          done = true;
        })) {
      if (!dlq->flush(std::chrono::seconds(30))) dlq->drain();
      if (done && result.ok) {
        log.warn("message dead-lettered", {{"topic", m.topic_name()},
                                           core::num("partition", static_cast<long long>(m.partition())),
                                           core::num("offset", static_cast<long long>(m.offset())),
                                           {"dlq", topic},
                                           {"errorClass", why.error_class},
                                           {"error", why.message}});
        return true;
      }
    }
    log.warn("dead-letter publish failed; retrying", {{"dlq", topic}, {"error", result.error}});
    sleep_interruptible(std::chrono::seconds(1));
  }
  return false;
}

Outcome ConsumerRunner::Impl::apply(const Envelope& e, const rapidjson::Value& data, const RawHandler& handler,
                                    RdKafka::Message& m) {
  const Consumed consumed{e, m.topic_name(), m.partition(), m.offset()};
  std::chrono::milliseconds backoff = options.backoff_initial;
  int attempts = 0;
  while (!stopping) {
    ++attempts;
    try {
      bool duplicate = false;
      db.transact([&](pqxx::work& tx) {
        auto r = tx.exec_params(
            "INSERT INTO inbox (consumer_group, event_id, type, topic, partition, \"offset\")"
            " VALUES ($1, $2::uuid, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            options.group, e.id, e.type, m.topic_name(), m.partition(), static_cast<long long>(m.offset()));
        if (r.affected_rows() == 0) {
          duplicate = true;
          return;
        }
        handler(tx, data, consumed);
      });
      return duplicate ? Outcome::duplicate : Outcome::applied;
    } catch (const PermanentError& ex) {
      return dead_letter(m, {"handler", ex.what()}) ? Outcome::dead_lettered : Outcome::stopped;
    } catch (const core::Unavailable& ex) {
      // The database is away: not the message's fault, so no attempt is counted.
      --attempts;
      log.warn("database unavailable while consuming; retrying", {{"group", options.group}, {"error", ex.what()}});
    } catch (const pqxx::broken_connection& ex) {
      --attempts;
      log.warn("database connection lost while consuming; retrying", {{"group", options.group}, {"error", ex.what()}});
    } catch (const std::exception& ex) {
      if (attempts >= options.max_attempts)
        return dead_letter(m, {"handler", std::string("failed after ") + std::to_string(attempts) + " attempts: " +
                                              ex.what()})
                   ? Outcome::dead_lettered
                   : Outcome::stopped;
      log.warn("event handler failed; retrying", {{"group", options.group}, {"type", e.type}, {"eventId", e.id},
                                                  core::num("attempt", static_cast<long long>(attempts)),
                                                  {"error", ex.what()}});
    }
    sleep_interruptible(backoff);
    backoff = std::min(backoff * 2, options.backoff_max);
  }
  return Outcome::stopped;
}

Outcome ConsumerRunner::Impl::process(RdKafka::Message& m) {
  std::string error;
  const std::string_view value(static_cast<const char*>(m.payload()), m.len());
  auto envelope = decode(value, error);
  if (!envelope) return dead_letter(m, {"decode", error}) ? Outcome::dead_lettered : Outcome::stopped;
  envelope->traceparent = header_value(m, "traceparent");
  rapidjson::Document data;
  data.Parse(envelope->data.c_str());
  auto check = validate_payload(envelope->type, envelope->version, data);
  switch (check.kind) {
    case ValidationOutcome::Kind::ok: break;
    case ValidationOutcome::Kind::unknown_type:
      return dead_letter(m, {"unknown-type", check.message}) ? Outcome::dead_lettered : Outcome::stopped;
    case ValidationOutcome::Kind::unknown_version:
      return dead_letter(m, {"unknown-version", check.message}) ? Outcome::dead_lettered : Outcome::stopped;
    case ValidationOutcome::Kind::invalid:
      return dead_letter(m, {"invalid", check.message}) ? Outcome::dead_lettered : Outcome::stopped;
  }
  auto it = handlers.find({envelope->type, envelope->version});
  if (it == handlers.end()) return Outcome::ignored;  // a valid event this group does not react to
  return apply(*envelope, data, it->second, m);
}

void ConsumerRunner::start() {
  auto& s = *impl_;
  s.dlq = std::make_unique<Producer>(ProducerOptions{s.options.brokers, s.options.group + "-dlq"}, s.log);
  s.thread = std::thread([&s] {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    auto set = [&](const char* k, const std::string& v) {
      if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) s.log.error("kafka consumer config", {{"key", k}, {"error", err}});
    };
    set("bootstrap.servers", s.options.brokers);
    set("group.id", s.options.group);
    set("client.id", s.options.group);
    // librdkafka 2.0.2: no cooperative-sticky. Offsets are stored by hand after the transaction
    // commits (offset + 1) and committed by the auto-commit timer and on close.
    set("partition.assignment.strategy", "range,roundrobin");
    set("enable.auto.commit", "true");
    set("enable.auto.offset.store", "false");
    set("auto.commit.interval.ms", "1000");
    set("auto.offset.reset", s.options.auto_offset_reset);
    set("log_level", "4");
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer) {
      s.log.error("kafka consumer could not be created", {{"error", err}});
      return;
    }
    if (auto rc = consumer->subscribe(s.options.topics); rc != RdKafka::ERR_NO_ERROR)
      s.log.error("kafka subscribe failed", {{"error", RdKafka::err2str(rc)}});
    s.log.info("consumer started", {{"group", s.options.group}});
    while (!s.stopping) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        s.log.warn("kafka consume error", {{"group", s.options.group}, {"error", m->errstr()}});
        continue;
      }
      const std::string type = header_value(*m, "event-type");
      const Outcome outcome = s.process(*m);
      if (outcome == Outcome::stopped) break;  // not done: the message is redelivered after restart
      std::vector<RdKafka::TopicPartition*> offsets{
          RdKafka::TopicPartition::create(m->topic_name(), m->partition(), m->offset() + 1)};
      consumer->offsets_store(offsets);
      RdKafka::TopicPartition::destroy(offsets);
      {
        std::lock_guard lock(s.counts_mutex);
        switch (outcome) {
          case Outcome::applied: ++s.counts.applied; break;
          case Outcome::duplicate: ++s.counts.duplicates; break;
          case Outcome::dead_lettered: ++s.counts.dead_lettered; break;
          case Outcome::ignored: ++s.counts.ignored; break;
          case Outcome::stopped: break;
        }
      }
      // Only contract-valid types become label values: poison cannot blow up the metric's cardinality.
      s.count(outcome == Outcome::dead_lettered ? "invalid" : type, outcome_name(outcome));
    }
    consumer->close();  // commits the stored offsets
    s.log.info("consumer stopped", {{"group", s.options.group}});
  });
}

void ConsumerRunner::stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->dlq.reset();
}

}  // namespace shopmesh::events
