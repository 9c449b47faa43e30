#include "shopmesh/events/relay.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <pqxx/pqxx>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/events/envelope.hpp"
#include "shopmesh/events/producer.hpp"

namespace shopmesh::events {
namespace {

// One active relay per database: instances of the same service stand by behind this lock, so
// publication stays in commit order.
constexpr long long kRelayLock = 0x4f55'5442'4f58LL;  // "OUTBOX"

class WakeOnNotify : public pqxx::notification_receiver {
 public:
  WakeOnNotify(pqxx::connection_base& c, bool& flag) : pqxx::notification_receiver(c, "outbox"), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  bool& flag_;
};

struct Row {
  long long seq;
  std::string id, topic, key, type, value, traceparent;
  int version;
  double age_seconds;  // commit-to-now when fetched
};

}  // namespace

struct OutboxRelay::Impl {
  Impl(RelayOptions o, core::Logger& l, prometheus::Registry& registry)
      : options(std::move(o)),
        log(l),
        published(prometheus::BuildCounter()
                      .Name("outbox_published_total")
                      .Help("Outbox events acknowledged by Kafka")
                      .Register(registry)
                      .Add({})),
        failures(prometheus::BuildCounter()
                     .Name("outbox_publish_failures_total")
                     .Help("Outbox events whose delivery failed (retried)")
                     .Register(registry)
                     .Add({})),
        pending(prometheus::BuildGauge()
                    .Name("outbox_pending")
                    .Help("Unpublished outbox rows seen by the last fetch")
                    .Register(registry)
                    .Add({})),
        latency(prometheus::BuildHistogram()
                    .Name("outbox_commit_to_ack_seconds")
                    .Help("Time from the outbox insert to the broker's acknowledgement")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                     0.25, 0.5, 1, 5, 30})) {}

  RelayOptions options;
  core::Logger& log;
  prometheus::Counter& published;
  prometheus::Counter& failures;
  prometheus::Gauge& pending;
  prometheus::Histogram& latency;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> poke{false};
};

OutboxRelay::OutboxRelay(RelayOptions options, core::Logger& log, prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), log, metrics)) {}

OutboxRelay::~OutboxRelay() { stop(); }

void OutboxRelay::start() { impl_->thread = std::thread([this] { run(); }); }

void OutboxRelay::stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

void OutboxRelay::wake() { impl_->poke = true; }

void OutboxRelay::run() {
  auto& s = *impl_;
  std::chrono::milliseconds backoff = s.options.backoff_initial;
  auto sleep_interruptible = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!s.stopping && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(50)));
  };

  while (!s.stopping) {
    try {
      pqxx::connection conn(s.options.database_url);
      {
        pqxx::nontransaction tx(conn);
        tx.exec("SET application_name = 'outbox-relay'");
      }
      // Stand by until this instance holds the relay lock.
      while (!s.stopping) {
        pqxx::nontransaction tx(conn);
        if (tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kRelayLock) + ")")[0].as<bool>()) break;
        tx.commit();
        sleep_interruptible(std::chrono::seconds(2));
      }
      bool notified = true;  // look once at start: rows may be waiting from before
      WakeOnNotify listener(conn, notified);
      Producer producer({s.options.brokers, s.options.producer_name + "-relay"}, s.log);
      auto last_prune = std::chrono::steady_clock::now() - std::chrono::hours(2);
      auto last_fetch = std::chrono::steady_clock::now();
      s.log.info("outbox relay started");

      while (!s.stopping) {
        if (!notified && !s.poke) {
          conn.await_notification(0, 200'000);  // 200 ms slices keep stop() prompt
          if (!notified && !s.poke && std::chrono::steady_clock::now() - last_fetch < s.options.fallback_poll) continue;
        }
        notified = false;
        s.poke = false;
        last_fetch = std::chrono::steady_clock::now();

        std::vector<Row> rows;
        {
          pqxx::work tx(conn);
          auto r = tx.exec_params(
              "SELECT seq, id::text, topic, key, type, version, value, coalesce(traceparent, ''),"
              " extract(epoch from clock_timestamp() - created_at)::float8"
              " FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
              static_cast<long long>(s.options.batch_size));
          for (const auto& row : r)
            rows.push_back({row[0].as<long long>(), row[1].as<std::string>(), row[2].as<std::string>(),
                            row[3].as<std::string>(), row[4].as<std::string>(), row[6].as<std::string>(),
                            row[7].as<std::string>(), row[5].as<int>(), row[8].as<double>()});
          tx.commit();
        }
        s.pending.Set(static_cast<double>(rows.size()));
        if (rows.empty()) {
          if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
            pqxx::work tx(conn);
            tx.exec_params("DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)",
                           static_cast<int>(s.options.retention.count()));
            tx.commit();
            last_prune = std::chrono::steady_clock::now();
          }
          continue;
        }

        const auto sent_at = std::chrono::steady_clock::now();
        std::vector<Delivery> results(rows.size());
        std::vector<bool> queued(rows.size(), false);
        for (std::size_t i = 0; i < rows.size(); ++i) {
          Envelope headers_of;
          headers_of.id = rows[i].id;
          headers_of.type = rows[i].type;
          headers_of.version = rows[i].version;
          headers_of.traceparent = rows[i].traceparent;
          queued[i] = producer.send(rows[i].topic, rows[i].key, rows[i].value, envelope_headers(headers_of),
                                    [&results, i](const Delivery& d) { results[i] = d; });
          if (!queued[i]) break;  // keep order: nothing after a row that could not be queued
        }
        if (!producer.flush(s.options.backoff_max + std::chrono::seconds(30))) producer.drain();
        const double flush_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count();

        std::vector<long long> ok, failed;
        std::string first_error;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (queued[i] && results[i].ok) {
            ok.push_back(rows[i].seq);
            s.latency.Observe(rows[i].age_seconds + flush_seconds);
          } else {
            failed.push_back(rows[i].seq);
            if (first_error.empty()) first_error = queued[i] ? results[i].error : "could not queue";
          }
        }
        {
          pqxx::work tx(conn);
          if (!ok.empty())
            tx.exec_params("UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])",
                           core::array_literal(ok, [](long long seq) { return seq; }));
          if (!failed.empty())
            tx.exec_params("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])",
                           core::array_literal(failed, [](long long seq) { return seq; }), first_error);
          tx.commit();
        }
        s.published.Increment(static_cast<double>(ok.size()));
        if (!failed.empty()) {
          s.failures.Increment(static_cast<double>(failed.size()));
          s.log.warn("outbox publish failed; retrying",
                     {{"error", first_error}, core::num("failed", static_cast<long long>(failed.size())),
                      core::num("backoffMs", static_cast<long long>(backoff.count()))});
          sleep_interruptible(backoff);
          backoff = std::min(backoff * 2, s.options.backoff_max);
          notified = true;  // retry without waiting for a new notification
        } else {
          backoff = s.options.backoff_initial;
          if (rows.size() == s.options.batch_size) notified = true;  // more may be waiting
        }
      }
    } catch (const std::exception& e) {
      s.log.warn("outbox relay: database error; reconnecting", {{"error", e.what()}});
      sleep_interruptible(backoff);
      backoff = std::min(backoff * 2, s.options.backoff_max);
    }
  }
  s.log.info("outbox relay stopped");
}

}  // namespace shopmesh::events
