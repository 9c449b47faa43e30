#pragma once
// The consumer runner: decode → validate against the contract → apply the effect and insert the
// event id into the inbox in ONE PostgreSQL transaction → store the offset (msg offset + 1).
// At-least-once delivery, exactly-once effect. Duplicates (id already in the inbox) are skipped.
// Retryable failures are retried with backoff (bounded); undecodable, invalid or permanently
// failing messages go to `<topic>.<group>.dlq` with error headers, and the consumer goes on.
// A database outage is not the message's fault: it is retried until the database is back.
#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "shopmesh/contracts/common.hpp"
#include "shopmesh/core/service.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/outbox.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::events {

/// Thrown by a handler when the message can never be applied: straight to the DLQ, no retries.
struct PermanentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ConsumerOptions {
  std::string group;
  std::vector<std::string> topics;
  std::string brokers;
  int max_attempts = 5;  // for handler errors other than PermanentError and database outages
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
  std::string auto_offset_reset = "earliest";
  /// Consumer threads, each a member of the group with its own Kafka consumer: partitions are
  /// spread over them, so per-key order holds while different keys are applied in parallel.
  int workers = 1;
  /// Messages already waiting are applied together, up to this many, in one transaction (one
  /// commit per batch); a batch that fails is applied again one message at a time.
  int max_batch = 64;
  /// How long the broker waits for a member that stopped heartbeating before it expires it. A
  /// consumer killed (-9) leaves its member behind, and the group (its replacement included) gets
  /// no partitions until that member expires: librdkafka's default, 45 s, is a 45 s stall after a
  /// crash or a broker outage. The broker's minimum is 6 s.
  std::chrono::milliseconds session_timeout{10'000};
  /// Static group membership, opt-in: worker i joins as `group.instance.id` "<instance_id>-<i>", and
  /// a process that comes back under the same id takes its partitions over at once, without waiting
  /// for the session timeout. The price: a static member does not leave the group when it stops, so
  /// its partitions wait for it for the session timeout (and `meshctl replay --to-group`, which needs
  /// an empty group, too). Must be stable across restarts and unique per running instance of the
  /// service (a duplicate fences the older one). Empty: dynamic membership.
  std::string instance_id{};
};

/// What a handler gets besides the transaction and the payload.
struct Consumed {
  const Envelope& envelope;
  std::string topic;
  int partition;
  long long offset;

  /// Run by the runner once the transaction this handler runs in has committed (in order, on the
  /// consumer's thread); dropped when it rolls back. For what must see the effect committed, like
  /// a stage latency that ends at the commit.
  std::vector<std::function<void()>>* on_commit = nullptr;

  /// The context for events this handler emits in reaction (same correlation, caused by this).
  EventContext reaction() const {
    return {envelope.correlation_id, envelope.id, envelope.traceparent};
  }
  void after_commit(std::function<void()> f) const {
    if (on_commit != nullptr) on_commit->push_back(std::move(f));
  }
};

class ConsumerRunner : public core::Component {
 public:
  using RawHandler = std::function<void(pqxx::work&, const rapidjson::Value& data, const Consumed&)>;

  ConsumerRunner(ConsumerOptions options, core::PgPool& db, core::Logger& log, prometheus::Registry& metrics);
  ~ConsumerRunner() override;

  /// Registers the effect of one event type+version; `data` was validated against its contract.
  void on(std::string type, int version, RawHandler handler);

  /// Typed registration for a generated contract struct:
  ///   runner.on<contracts::OrderCreatedV1>([&](pqxx::work& tx, const auto& order, const Consumed& c) {...});
  template <class Event, class Handler>
  void on(Handler handler) {
    on(std::string(Event::kType), Event::kVersion,
       [handler = std::move(handler)](pqxx::work& tx, const rapidjson::Value& data, const Consumed& c) {
         auto decoded = contracts::from_json<Event>(data);
         if (!decoded.ok()) throw PermanentError(contracts::describe(decoded.errors));
         handler(tx, *decoded.value, c);
       });
  }

  /// One message of a run handed to a batch handler.
  struct Item {
    const rapidjson::Value& data;
    const Consumed& consumed;
  };
  using RawBatchHandler = std::function<void(pqxx::work&, const std::vector<Item>&)>;

  /// Registers the effect of one event type+version on a run of such messages: consecutive
  /// messages of the batch with this type are handed over together, in order, inside the batch's
  /// transaction (a message applied on its own comes as a run of one). For effects that would
  /// take a round trip per message while holding a hot lock.
  void on_batch(std::string type, int version, RawBatchHandler handler);
  /// One batch handler for several event types: consecutive messages of any of them form a run.
  void on_batch(const std::vector<std::pair<std::string, int>>& types, RawBatchHandler handler);

  template <class Event>
  struct Typed {
    Event event;
    const Consumed& consumed;
  };

  /// Typed batch registration:
  ///   runner.on_batch<contracts::OrderCreatedV1>([&](pqxx::work& tx, const std::vector<Typed<...>>& run) {...});
  template <class Event, class Handler>
  void on_batch(Handler handler) {
    on_batch(std::string(Event::kType), Event::kVersion,
             [handler = std::move(handler)](pqxx::work& tx, const std::vector<Item>& items) {
               std::vector<Typed<Event>> run;
               run.reserve(items.size());
               for (const Item& item : items) {
                 auto decoded = contracts::from_json<Event>(item.data);
                 if (!decoded.ok()) throw PermanentError(contracts::describe(decoded.errors));
                 run.push_back({std::move(*decoded.value), item.consumed});
               }
               handler(tx, run);
             });
  }

  void start() override;
  void stop() override;

  /// Messages applied, skipped as duplicates, and dead-lettered since start (tests, metrics).
  struct Counts {
    long long applied = 0, duplicates = 0, dead_lettered = 0, ignored = 0;
  };
  Counts counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A service's consumer group on `topics`, with the service's brokers, workers and instance id,
/// added to its components (started after setup). Register the handlers on the reference.
ConsumerRunner& add_consumer(core::ServiceContext& ctx, std::string group,
                             std::initializer_list<std::string_view> topics);

}  // namespace shopmesh::events
