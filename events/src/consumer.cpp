#include "shopmesh/events/consumer.hpp"

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/stop_flag.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/events/consumer_lag.hpp"
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
constexpr std::size_t kOutcomeCount = 5;

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

// The Kafka timestamp of a message in unix ms, when it has one.
std::optional<std::int64_t> timestamp_ms(const RdKafka::Message& m) {
  const RdKafka::MessageTimestamp ts = m.timestamp();
  if (ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE || ts.timestamp < 0) return std::nullopt;
  return ts.timestamp;
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::chrono::seconds kLagSampleEvery{1};

}  // namespace

struct ConsumerRunner::Impl {
  Impl(ConsumerOptions o, core::PgPool& d, core::Logger& l, prometheus::Registry& registry)
      : options(std::move(o)),
        db(d),
        log(l),
        processed(prometheus::BuildCounter()
                      .Name("events_consumed_total")
                      .Help("Consumed events by group, topic, type and outcome")
                      .Register(registry)) {
    auto& lag_messages = prometheus::BuildGauge()
                             .Name("consumer_lag_messages")
                             .Help("Messages of this instance's assigned partitions not yet processed (high "
                                   "watermark - next offset to process), by group and topic")
                             .Register(registry);
    auto& lag_seconds = prometheus::BuildGauge()
                            .Name("consumer_lag_seconds")
                            .Help("Age of the oldest message not yet processed (0 when there is no lag), by group "
                                  "and topic")
                            .Register(registry);
    auto& retries = prometheus::BuildCounter()
                        .Name("consumer_retries_total")
                        .Help("Handler attempts that failed and were tried again, by group and topic")
                        .Register(registry);
    auto& dead_letters = prometheus::BuildCounter()
                             .Name("consumer_dead_letters_total")
                             .Help("Messages this instance wrote to the group's dead-letter topic, by group and topic")
                             .Register(registry);
    auto& last_dead_letter = prometheus::BuildGauge()
                                 .Name("consumer_last_dead_letter_timestamp_seconds")
                                 .Help("Unix time of the newest dead letter this instance wrote, by group and topic")
                                 .Register(registry);
    for (const auto& topic : options.topics) {
      const prometheus::Labels labels{{"group", options.group}, {"topic", topic}};
      auto t = std::make_unique<TopicSeries>();
      t->lag_messages = &lag_messages.Add(labels);
      t->lag_seconds = &lag_seconds.Add(labels);
      t->retries = &retries.Add(labels);
      t->dead_letters = &dead_letters.Add(labels);
      t->last_dead_letter = &last_dead_letter.Add(labels);
      topics.push_back(std::move(t));
    }
  }

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
  // The series of one consumed topic (issue #22), made once; `consumed` by event type, filled as
  // types are seen (contract-valid types and "invalid" only, so bounded).
  struct TopicSeries {
    prometheus::Gauge* lag_messages = nullptr;
    prometheus::Gauge* lag_seconds = nullptr;
    prometheus::Counter* retries = nullptr;
    prometheus::Counter* dead_letters = nullptr;
    prometheus::Gauge* last_dead_letter = nullptr;
    std::mutex mutex;
    std::unordered_map<std::string, std::array<prometheus::Counter*, kOutcomeCount>> consumed;
    std::optional<std::int64_t> lag_seen_since_ms;  // the sampler's
  };

  // What the lag sampler needs to know of one worker. The worker holds the mutex only to swap its
  // consumer and to note a batch's start and end.
  struct Worker {
    struct First {
      std::size_t topic;
      std::int32_t partition;
      std::int64_t offset;
    };
    std::mutex mutex;
    std::shared_ptr<RdKafka::KafkaConsumer> consumer;
    std::vector<First> batch_first;  // the batch being processed: each partition's first offset in it
    std::vector<std::optional<std::int64_t>> oldest_pending_ms, last_processed_ms;  // by topic
    // The sampler's: committed offsets of assigned partitions nothing was consumed from yet, for
    // the assignment they were read under.
    std::vector<std::pair<std::string, std::int32_t>> assignment;
    std::map<std::pair<std::size_t, std::int32_t>, std::int64_t> committed;
  };

  // Position of `topic` in options.topics; options.topics.size() for any other.
  std::size_t topic_index(std::string_view topic) const {
    for (std::size_t i = 0; i < options.topics.size(); ++i)
      if (options.topics[i] == topic) return i;
    return options.topics.size();
  }
  TopicSeries* series(std::string_view topic) {
    const std::size_t i = topic_index(topic);
    return i < topics.size() ? topics[i].get() : nullptr;
  }
  void count(const std::string& topic, const std::string& type, Outcome outcome) {
    TopicSeries* t = series(topic);
    if (t == nullptr) return;
    prometheus::Counter* counter = nullptr;
    {
      std::lock_guard lock(t->mutex);
      auto it = t->consumed.find(type);
      if (it == t->consumed.end()) it = t->consumed.try_emplace(type).first;
      auto& slot = it->second[static_cast<std::size_t>(outcome)];
      if (slot == nullptr)
        slot = &processed.Add(
            {{"group", options.group}, {"topic", topic}, {"type", type}, {"outcome", outcome_name(outcome)}});
      counter = slot;
    }
    counter->Increment();
  }
  void note_batch_start(Worker& w, const std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  void note_batch_end(Worker& w, const std::vector<std::unique_ptr<RdKafka::Message>>& batch, std::size_t done);
  void set_consumer(Worker& w, std::shared_ptr<RdKafka::KafkaConsumer> consumer) {
    std::lock_guard lock(w.mutex);
    w.consumer = std::move(consumer);
  }
  void sample_lag();
  void run_sampler();

  ConsumerOptions options;
  core::PgPool& db;
  core::Logger& log;
  prometheus::Family<prometheus::Counter>& processed;
  std::vector<std::unique_ptr<TopicSeries>> topics;  // by position in options.topics
  std::vector<std::unique_ptr<Worker>> workers;
  std::thread sampler;
  // Shared by the types of a multi-type batch handler: a run is a sequence of one handler's messages.
  std::map<std::pair<std::string, int>, std::shared_ptr<const Handler>> handlers;
  std::unique_ptr<Producer> dlq;
  std::mutex dlq_mutex;  // one dead letter in flight at a time: its flush is its delivery check
  std::vector<std::thread> threads;
  core::StopFlag stopping;
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
        if (TopicSeries* t = series(m.topic_name())) {
          t->dead_letters->Increment();
          t->last_dead_letter->Set(static_cast<double>(unix_ms_now()) / 1000.0);
        }
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
    stopping.wait_for(std::chrono::seconds(1));
  }
  return false;
}

Outcome ConsumerRunner::Impl::apply(const Envelope& e, const rapidjson::Value& data, const Handler& handler,
                                    RdKafka::Message& m) {
  std::vector<std::function<void()>> on_commit;
  const Consumed consumed{e, m.topic_name(), m.partition(), m.offset(), &on_commit};
  std::chrono::milliseconds backoff = options.backoff_initial;
  int attempts = 0;
  while (!stopping) {
    ++attempts;
    try {
      bool duplicate = false;
      db.transact([&](pqxx::work& tx) {
        on_commit.clear();
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
      for (const auto& f : on_commit) f();
      return duplicate ? Outcome::duplicate : Outcome::applied;
    } catch (const PermanentError& ex) {
      return dead_letter(m, {"handler", ex.what()}) ? Outcome::dead_lettered : Outcome::stopped;
    } catch (const core::Unavailable& ex) {
      // The database is away: not the message's fault, so no attempt is counted (but a retry is).
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
    if (TopicSeries* t = series(m.topic_name())) t->retries->Increment();
    stopping.wait_for(backoff);
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
    std::vector<std::function<void()>> on_commit;
    db.transact([&](pqxx::work& tx) {
      on_commit.clear();
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
        const Consumed& c =
            consumed.emplace_back(Consumed{r.envelope, m.topic_name(), m.partition(), m.offset(), &on_commit});
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
    for (const auto& f : on_commit) f();
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
  const int n = std::max(1, s.options.workers);
  s.workers.clear();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->oldest_pending_ms.resize(s.options.topics.size());
    w->last_processed_ms.resize(s.options.topics.size());
    s.workers.push_back(std::move(w));
  }
  for (int i = 0; i < n; ++i) s.threads.emplace_back([&s, i] { s.run_worker(i); });
  s.sampler = std::thread([&s] { s.run_sampler(); });
}

void ConsumerRunner::Impl::note_batch_start(Worker& w, const std::vector<std::unique_ptr<RdKafka::Message>>& batch) {
  std::lock_guard lock(w.mutex);
  w.batch_first.clear();
  for (const auto& m : batch) {
    const std::size_t t = topic_index(m->topic_name());
    if (t >= options.topics.size()) continue;
    const bool seen = std::any_of(w.batch_first.begin(), w.batch_first.end(), [&](const Worker::First& f) {
      return f.topic == t && f.partition == m->partition();
    });
    if (!seen) w.batch_first.push_back({t, m->partition(), m->offset()});
    if (auto ts = timestamp_ms(*m)) w.oldest_pending_ms[t] = std::min(w.oldest_pending_ms[t].value_or(*ts), *ts);
  }
}

void ConsumerRunner::Impl::note_batch_end(Worker& w, const std::vector<std::unique_ptr<RdKafka::Message>>& batch,
                                          std::size_t done) {
  std::lock_guard lock(w.mutex);
  w.batch_first.clear();
  for (auto& oldest : w.oldest_pending_ms) oldest.reset();
  for (std::size_t i = 0; i < done && i < batch.size(); ++i) {
    const std::size_t t = topic_index(batch[i]->topic_name());
    if (t >= options.topics.size()) continue;
    if (auto ts = timestamp_ms(*batch[i])) w.last_processed_ms[t] = std::max(w.last_processed_ms[t].value_or(*ts), *ts);
  }
}

// One look at every worker's assigned partitions: the cached high watermarks (librdkafka updates
// them from every fetch response, also while the partitions are idle: no broker round trip here),
// against the offset each will process next. A partition nothing was consumed from since it was
// assigned has no position yet: its committed offset is asked for once (a round trip, on this
// thread, never the consumer's).
void ConsumerRunner::Impl::sample_lag() {
  const std::size_t n = options.topics.size();
  std::vector<std::int64_t> lag(n, 0);
  std::vector<LagClock> clocks(n);
  for (auto& worker : workers) {
    Worker& w = *worker;
    std::shared_ptr<RdKafka::KafkaConsumer> consumer;
    std::vector<Worker::First> first;
    {
      std::lock_guard lock(w.mutex);
      consumer = w.consumer;
      first = w.batch_first;
      for (std::size_t t = 0; t < n; ++t) {
        if (auto ts = w.oldest_pending_ms[t])
          clocks[t].oldest_pending_ms = std::min(clocks[t].oldest_pending_ms.value_or(*ts), *ts);
        if (auto ts = w.last_processed_ms[t])
          clocks[t].last_processed_ms = std::max(clocks[t].last_processed_ms.value_or(*ts), *ts);
      }
    }
    if (!consumer) continue;
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer->assignment(parts) != RdKafka::ERR_NO_ERROR) continue;
    std::vector<std::pair<std::string, std::int32_t>> assignment;
    for (const auto* tp : parts) assignment.emplace_back(tp->topic(), tp->partition());
    if (assignment != w.assignment) {
      w.assignment = std::move(assignment);
      w.committed.clear();
    }
    consumer->position(parts);
    std::vector<RdKafka::TopicPartition*> unknown;
    for (auto* tp : parts) {
      const std::size_t t = topic_index(tp->topic());
      for (const auto& f : first)
        if (f.topic == t && f.partition == tp->partition()) tp->set_offset(f.offset);
      if (tp->offset() < 0) {
        auto known = w.committed.find({t, tp->partition()});
        if (known != w.committed.end())
          tp->set_offset(known->second);
        else
          unknown.push_back(tp);
      }
    }
    if (!unknown.empty() && consumer->committed(unknown, 2'000) == RdKafka::ERR_NO_ERROR) {
      for (auto* tp : unknown) {
        std::int64_t low = -1, high = -1;
        // No committed offset: the group starts at the beginning (auto.offset.reset earliest).
        if (tp->offset() < 0 && consumer->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) ==
                                    RdKafka::ERR_NO_ERROR && low >= 0)
          tp->set_offset(low);
        if (tp->offset() >= 0) w.committed[{topic_index(tp->topic()), tp->partition()}] = tp->offset();
      }
    }
    for (auto* tp : parts) {
      const std::size_t t = topic_index(tp->topic());
      std::int64_t low = -1, high = -1;
      if (t >= n || consumer->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) != RdKafka::ERR_NO_ERROR)
        continue;
      lag[t] += partition_lag(high, tp->offset());
    }
    RdKafka::TopicPartition::destroy(parts);
  }
  const std::int64_t now = unix_ms_now();
  for (std::size_t t = 0; t < n; ++t) {
    TopicSeries& series = *topics[t];
    if (lag[t] == 0)
      series.lag_seen_since_ms.reset();
    else if (!series.lag_seen_since_ms)
      series.lag_seen_since_ms = now;
    clocks[t].lag_seen_since_ms = series.lag_seen_since_ms;
    series.lag_messages->Set(static_cast<double>(lag[t]));
    series.lag_seconds->Set(lag_seconds(lag[t], clocks[t], now));
  }
}

void ConsumerRunner::Impl::run_sampler() {
  core::name_this_thread("consumer-lag");
  while (!stopping) {
    try {
      sample_lag();
    } catch (const std::exception& e) {
      log.warn("consumer lag not sampled", {{"group", options.group}, {"error", e.what()}});
    }
    stopping.wait_for(kLagSampleEvery);
  }
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
  Worker& self = *workers[static_cast<std::size_t>(index)];
  std::shared_ptr<RdKafka::KafkaConsumer> consumer = subscribe(index);
  if (!consumer) return;
  set_consumer(self, consumer);
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
        set_consumer(self, nullptr);
        consumer->close();
        consumer.reset();
        stopping.wait_for(recreate_after);
        if (stopping || !(consumer = subscribe(index))) return;
        set_consumer(self, consumer);
        break;
      }
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        log.warn("kafka consume error", {{"group", options.group}, {"error", m->errstr()}});
        break;
      }
      batch.push_back(std::move(m));
    }
    if (batch.empty()) continue;
    note_batch_start(self, batch);
    const std::vector<Outcome> outcomes = process_batch(batch);
    note_batch_end(self, batch, outcomes.size());
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
      count(m.topic_name(), outcomes[i] == Outcome::dead_lettered ? "invalid" : header_value(m, "event-type"),
            outcomes[i]);
    }
    if (outcomes.size() < batch.size()) break;  // stopped: the rest is redelivered after restart
  }
  set_consumer(self, nullptr);
  consumer->close();  // commits the stored offsets
  log.info("consumer stopped", {{"group", options.group}, core::num("worker", static_cast<long long>(index))});
}

void ConsumerRunner::stop() {
  impl_->stopping.request();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  if (impl_->sampler.joinable()) impl_->sampler.join();
  impl_->dlq.reset();
}

ConsumerRunner& add_consumer(core::ServiceContext& ctx, std::string group,
                             std::initializer_list<std::string_view> topics) {
  ConsumerOptions options{.group = std::move(group),
                          .topics = {topics.begin(), topics.end()},
                          .brokers = ctx.config.kafka_brokers,
                          .workers = ctx.config.consumer_workers,
                          .instance_id = ctx.config.kafka_instance_id};
  auto runner = std::make_unique<ConsumerRunner>(std::move(options), *ctx.db, ctx.log, ctx.metrics);
  ConsumerRunner& ref = *runner;
  ctx.components.push_back(std::move(runner));
  return ref;
}

}  // namespace shopmesh::events
