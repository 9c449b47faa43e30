#include "shopmesh/events/consumer.hpp"

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/events/kafka.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/queries.hpp"
#include "shopmesh/events/topics.hpp"
#include "validation.hpp"

namespace shopmesh::events {
namespace {

std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

enum class Outcome { applied, duplicate, ignored, dead_lettered, stopped };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::applied:
      return "applied";
    case Outcome::duplicate:
      return "duplicate";
    case Outcome::ignored:
      return "ignored";
    case Outcome::dead_lettered:
      return "dead_lettered";
    case Outcome::stopped:
      return "stopped";
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

  // One of the two is set: `one` for on(), `many` for on_batch().
  struct Handler {
    RawHandler one;
    RawBatchHandler many;
  };

  // A message decoded, validated and ready for its handler.
  struct Ready {
    std::size_t index;  // in the batch
    Envelope envelope;
    std::unique_ptr<rapidjson::Document> data;
    const Handler* handler;
  };

  void run_worker(int index);
  std::unique_ptr<RdKafka::KafkaConsumer> subscribe(int index);
  std::vector<Outcome> process_batch(const std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  std::optional<Outcome> prepare(RdKafka::Message& m, std::size_t index, std::vector<Ready>& ready);
  bool apply_together(const std::vector<std::unique_ptr<RdKafka::Message>>& batch, const std::vector<Ready>& ready,
                      std::vector<Outcome>& outcomes);
  Outcome apply(const Envelope& e, const rapidjson::Value& data, const Handler& handler, RdKafka::Message& m);
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
  // Shared by the types of a multi-type batch handler: a run is a sequence of one handler's messages.
  std::map<std::pair<std::string, int>, std::shared_ptr<const Handler>> handlers;
  std::unique_ptr<Producer> dlq;
  std::mutex dlq_mutex;  // one dead letter in flight at a time: its flush is its delivery check
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  mutable std::mutex counts_mutex;
  Counts counts;
};

ConsumerRunner::ConsumerRunner(ConsumerOptions options, core::PgPool& db, core::Logger& log,
                               prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), db, log, metrics)) {}

ConsumerRunner::~ConsumerRunner() {
  stop();
}

void ConsumerRunner::on(std::string type, int version, RawHandler handler) {
  impl_->handlers[{std::move(type), version}] = std::make_shared<const Impl::Handler>(Impl::Handler{std::move(handler), nullptr});
}

void ConsumerRunner::on_batch(std::string type, int version, RawBatchHandler handler) {
  on_batch({{std::move(type), version}}, std::move(handler));
}

void ConsumerRunner::on_batch(const std::vector<std::pair<std::string, int>>& types, RawBatchHandler handler) {
  auto shared = std::make_shared<const Impl::Handler>(Impl::Handler{nullptr, std::move(handler)});
  for (const auto& type : types) impl_->handlers[type] = shared;
}

ConsumerRunner::Counts ConsumerRunner::counts() const {
  std::lock_guard lock(impl_->counts_mutex);
  return impl_->counts;
}

bool ConsumerRunner::Impl::dead_letter(RdKafka::Message& m, const DeadLetter& why) {
  std::lock_guard lock(dlq_mutex);
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

Outcome ConsumerRunner::Impl::apply(const Envelope& e, const rapidjson::Value& data, const Handler& handler,
                                    RdKafka::Message& m) {
  const Consumed consumed{e, m.topic_name(), m.partition(), m.offset()};
  std::chrono::milliseconds backoff = options.backoff_initial;
  int attempts = 0;
  while (!stopping) {
    ++attempts;
    try {
      bool duplicate = false;
      db.transact([&](pqxx::work& tx) {
        auto r = core::exec(tx, queries::claim_event(), options.group, e.id, e.type, m.topic_name(), m.partition(),
                            static_cast<long long>(m.offset()));
        if (r.affected_rows() == 0) {
          duplicate = true;
          return;
        }
        if (handler.one)
          handler.one(tx, data, consumed);
        else
          handler.many(tx, {{data, consumed}});
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
        return dead_letter(
                   m, {"handler", std::string("failed after ") + std::to_string(attempts) + " attempts: " + ex.what()})
                   ? Outcome::dead_lettered
                   : Outcome::stopped;
      log.warn("event handler failed; retrying", {{"group", options.group},
                                                  {"type", e.type},
                                                  {"eventId", e.id},
                                                  core::num("attempt", static_cast<long long>(attempts)),
                                                  {"error", ex.what()}});
    }
    sleep_interruptible(backoff);
    backoff = std::min(backoff * 2, options.backoff_max);
  }
  return Outcome::stopped;
}

// Decodes and validates one message. Returns its outcome when it is settled here (dead-lettered,
// ignored, or stopped while dead-lettering); otherwise appends it to `ready` and returns nothing.
std::optional<Outcome> ConsumerRunner::Impl::prepare(RdKafka::Message& m, std::size_t index,
                                                     std::vector<Ready>& ready) {
  auto settle = [&](const DeadLetter& why) { return dead_letter(m, why) ? Outcome::dead_lettered : Outcome::stopped; };
  std::string error;
  const std::string_view value(static_cast<const char*>(m.payload()), m.len());
  auto envelope = decode(value, error);
  if (!envelope) return settle({"decode", error});
  envelope->traceparent = header_value(m, "traceparent");
  auto data = std::make_unique<rapidjson::Document>();
  data->Parse(envelope->data.c_str());
  auto check = validate_payload(envelope->type, envelope->version, *data);
  switch (check.kind) {
    case ValidationOutcome::Kind::ok: break;
    case ValidationOutcome::Kind::unknown_type: return settle({"unknown-type", check.message});
    case ValidationOutcome::Kind::unknown_version: return settle({"unknown-version", check.message});
    case ValidationOutcome::Kind::invalid: return settle({"invalid", check.message});
  }
  auto it = handlers.find({envelope->type, envelope->version});
  if (it == handlers.end()) return Outcome::ignored;  // a valid event this group does not react to
  ready.push_back({index, std::move(*envelope), std::move(data), it->second.get()});
  return std::nullopt;
}

// Applies every ready message in one transaction: one commit (one WAL flush) for the batch
// instead of one per message, one statement claiming the inbox for all of them, and one
// inserting the events their handlers wrote. False when any of them failed: nothing was
// applied then.
bool ConsumerRunner::Impl::apply_together(const std::vector<std::unique_ptr<RdKafka::Message>>& batch,
                                          const std::vector<Ready>& ready, std::vector<Outcome>& outcomes) {
  try {
    std::vector<bool> duplicate(ready.size(), true);
    db.transact([&](pqxx::work& tx) {
      core::ArrayLiteral ids, types, topics, partitions, offsets;
      for (const Ready& r : ready) {
        const RdKafka::Message& m = *batch[r.index];
        ids.add(r.envelope.id);
        types.add(r.envelope.type);
        topics.add(m.topic_name());
        partitions.add(static_cast<long long>(m.partition()));
        offsets.add(static_cast<long long>(m.offset()));
      }
      // The ids not seen before; an id twice in the batch is claimed once, by its first message.
      std::set<std::string> fresh;
      for (const auto& row : core::exec(tx, queries::claim_events(), options.group, ids.str(), types.str(),
                                        topics.str(), partitions.str(), offsets.str()))
        fresh.insert(row[0].as<std::string>());
      OutboxBatch written(tx);
      std::deque<Consumed> consumed;  // stable addresses for the run's items
      std::vector<ConsumerRunner::Item> run;
      const Handler* run_handler = nullptr;
      auto finish_run = [&] {
        if (!run.empty()) run_handler->many(tx, run);
        run.clear();
      };
      for (std::size_t i = 0; i < ready.size(); ++i) {
        const Ready& r = ready[i];
        duplicate[i] = fresh.erase(lowercase(r.envelope.id)) == 0;
        if (duplicate[i]) continue;
        RdKafka::Message& m = *batch[r.index];
        const Consumed& c = consumed.emplace_back(Consumed{r.envelope, m.topic_name(), m.partition(), m.offset()});
        if (r.handler != run_handler) finish_run();
        if (r.handler->one) {
          r.handler->one(tx, *r.data, c);
          run_handler = nullptr;
        } else {
          run_handler = r.handler;
          run.push_back({*r.data, c});
        }
      }
      finish_run();
      written.flush();
    });
    for (std::size_t i = 0; i < ready.size(); ++i)
      outcomes[ready[i].index] = duplicate[i] ? Outcome::duplicate : Outcome::applied;
    return true;
  } catch (const std::exception& ex) {
    log.info("batch not applied; applying its messages one by one",
             {{"group", options.group}, core::num("messages", static_cast<long long>(ready.size())),
              {"error", ex.what()}});
    return false;
  }
}

// The outcome of each message of the batch, in order. Shorter than the batch when the runner
// stopped first: the messages without an outcome are not done and are redelivered after restart.
std::vector<Outcome> ConsumerRunner::Impl::process_batch(const std::vector<std::unique_ptr<RdKafka::Message>>& batch) {
  std::vector<Outcome> outcomes(batch.size(), Outcome::applied);
  std::vector<Ready> ready;
  std::size_t settled = batch.size();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto outcome = prepare(*batch[i], i, ready);
    if (!outcome) continue;
    outcomes[i] = *outcome;
    if (*outcome == Outcome::stopped) {
      settled = i;
      break;
    }
  }
  if (ready.size() > 1 && apply_together(batch, ready, outcomes)) {
    outcomes.resize(settled);
    return outcomes;
  }
  // One at a time, with the retry, backoff and dead-letter rules of a single message.
  for (const Ready& r : ready) {
    outcomes[r.index] = apply(r.envelope, *r.data, *r.handler, *batch[r.index]);
    if (outcomes[r.index] == Outcome::stopped) {
      settled = std::min(settled, r.index);
      break;
    }
  }
  outcomes.resize(settled);
  return outcomes;
}

void ConsumerRunner::start() {
  auto& s = *impl_;
  s.dlq = std::make_unique<Producer>(ProducerOptions{s.options.brokers, s.options.group + "-dlq"}, s.log);
  for (int i = 0; i < std::max(1, s.options.workers); ++i) s.threads.emplace_back([&s, i] { s.run_worker(i); });
}

std::unique_ptr<RdKafka::KafkaConsumer> ConsumerRunner::Impl::subscribe(int index) {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  try {
    KafkaConfig conf(options.brokers, options.group + "-" + std::to_string(index));
    conf.set("group.id", options.group);
    if (!options.instance_id.empty()) conf.set("group.instance.id", options.instance_id + "-" + std::to_string(index));
    conf.set("session.timeout.ms", std::to_string(options.session_timeout.count()));
    conf.set("heartbeat.interval.ms", std::to_string(std::max<long long>(500, options.session_timeout.count() / 4)));
    // librdkafka 2.0.2: no cooperative-sticky. Offsets are stored by hand after the transaction
    // commits (offset + 1) and committed by the auto-commit timer and on close.
    conf.set("partition.assignment.strategy", "range,roundrobin");
    conf.set("enable.auto.commit", "true").set("enable.auto.offset.store", "false");
    conf.set("auto.commit.interval.ms", "1000");
    conf.set("auto.offset.reset", options.auto_offset_reset);
    consumer = conf.consumer();
  } catch (const std::exception& e) {
    log.error("kafka consumer could not be created", {{"error", e.what()}});
    return nullptr;
  }
  if (auto rc = consumer->subscribe(options.topics); rc != RdKafka::ERR_NO_ERROR)
    log.error("kafka subscribe failed", {{"error", RdKafka::err2str(rc)}});
  return consumer;
}

// One member of the group: its own Kafka consumer over the partitions it is assigned.
void ConsumerRunner::Impl::run_worker(int index) {
  core::name_this_thread("consumer-" + std::to_string(index));
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = subscribe(index);
  if (!consumer) return;
  log.info("consumer started", {{"group", options.group}, core::num("worker", static_cast<long long>(index))});
  std::vector<std::unique_ptr<RdKafka::Message>> batch;
  // A consumer gone fatal is recreated after a pause that starts short (librdkafka 2.0.2 fences a static
  // member when its group's coordinator moves to another broker: a one-off, to be ridden through at once)
  // and doubles while it keeps happening (two processes under one instance id fence each other in turn).
  constexpr std::chrono::milliseconds kRecreateFirst{250}, kRecreateMax{10'000};
  std::chrono::milliseconds recreate_after = kRecreateFirst;
  auto last_fatal = std::chrono::steady_clock::time_point{};
  while (!stopping) {
    // Wait for one message, then take whatever else has already arrived, up to max_batch.
    batch.clear();
    for (int wait_ms = 100; batch.size() < static_cast<std::size_t>(std::max(1, options.max_batch)); wait_ms = 0) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(wait_ms));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) break;
      if (m->err() == RdKafka::ERR__FATAL) {
        // E.g. fenced: another member joined under this group.instance.id. This instance is unusable;
        // a new one rejoins and resumes from the committed offsets (the inbox makes redelivery a no-op).
        std::string reason;
        consumer->fatal_error(reason);
        const auto now = std::chrono::steady_clock::now();
        recreate_after = now - last_fatal > std::chrono::minutes(1) ? kRecreateFirst
                                                                     : std::min(recreate_after * 2, kRecreateMax);
        last_fatal = now;
        log.error("kafka consumer fatal error: recreating it",
                  {{"group", options.group}, {"error", reason},
                   core::num("afterMs", static_cast<long long>(recreate_after.count()))});
        m.reset();
        batch.clear();  // not applied: redelivered to whoever owns their partitions now
        consumer->close();
        consumer.reset();
        sleep_interruptible(recreate_after);
        if (stopping || !(consumer = subscribe(index))) return;
        break;
      }
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        log.warn("kafka consume error", {{"group", options.group}, {"error", m->errstr()}});
        break;
      }
      batch.push_back(std::move(m));
    }
    if (batch.empty()) continue;
    const std::vector<Outcome> outcomes = process_batch(batch);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      RdKafka::Message& m = *batch[i];
      std::vector<RdKafka::TopicPartition*> offsets{
          RdKafka::TopicPartition::create(m.topic_name(), m.partition(), m.offset() + 1)};
      consumer->offsets_store(offsets);
      RdKafka::TopicPartition::destroy(offsets);
      {
        std::lock_guard lock(counts_mutex);
        switch (outcomes[i]) {
          case Outcome::applied: ++counts.applied; break;
          case Outcome::duplicate: ++counts.duplicates; break;
          case Outcome::dead_lettered: ++counts.dead_lettered; break;
          case Outcome::ignored: ++counts.ignored; break;
          case Outcome::stopped: break;
        }
      }
      // Only contract-valid types become label values: poison cannot blow up the metric's cardinality.
      count(outcomes[i] == Outcome::dead_lettered ? "invalid" : header_value(m, "event-type"),
            outcome_name(outcomes[i]));
    }
    if (outcomes.size() < batch.size()) break;  // stopped: the rest is redelivered after restart
  }
  consumer->close();  // commits the stored offsets
  log.info("consumer stopped", {{"group", options.group}, core::num("worker", static_cast<long long>(index))});
}

void ConsumerRunner::stop() {
  impl_->stopping = true;
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  impl_->dlq.reset();
}

}  // namespace shopmesh::events
