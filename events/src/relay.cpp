#include "shopmesh/events/relay.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <deque>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_map>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/stop_flag.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/pipeline.hpp"
#include "shopmesh/events/producer.hpp"
#include "shopmesh/events/queries.hpp"

namespace shopmesh::events {
namespace {

using Lsn = std::uint64_t;
constexpr std::string_view kPublication = "shopmesh_outbox";
constexpr long long kMaxUnacked = 20'000;  // events read from the slot and not yet acknowledged
// PostgreSQL's epoch for replication timestamps: microseconds since 2000-01-01.
constexpr long long kPgEpochOffsetUs = 946'684'800LL * 1'000'000;

std::uint64_t read64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint32_t read32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
void write64(char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
long long now_pg_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
             .count() -
         kPgEpochOffsetUs;
}

struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A logical replication connection in COPY BOTH mode, read without blocking the caller longer
// than it asks.
class ReplicationStream {
 public:
  explicit ReplicationStream(const std::string& url) {
    const char* keys[] = {"dbname", "replication", "application_name", nullptr};
    const char* values[] = {url.c_str(), "database", "outbox-relay", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);  // expand_dbname: the URL's own settings stay
    if (PQstatus(conn_) != CONNECTION_OK) throw Unavailable(error("connect"));
  }
  ~ReplicationStream() {
    if (buffer_) PQfreemem(buffer_);
    PQfinish(conn_);
  }
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  // Starts streaming the slot's committed transactions after its confirmed position. Returns
  // false when another relay reads the slot.
  bool start(const std::string& slot) {
    const std::string command = "START_REPLICATION SLOT \"" + slot + "\" LOGICAL 0/0 (proto_version '1'," +
                                " publication_names '" + std::string(kPublication) + "', messages 'true')";
    PGresult* r = PQexec(conn_, command.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COPY_BOTH;
    const std::string state = PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "";
    PQclear(r);
    if (ok) return true;
    if (state == "55006") return false;  // object_in_use: "replication slot ... is active for PID ..."
    throw Unavailable(error("START_REPLICATION"));
  }

  // The next message, waiting up to `wait`; empty on timeout.
  std::string_view read(std::chrono::milliseconds wait) {
    if (buffer_) PQfreemem(buffer_);
    buffer_ = nullptr;
    for (bool waited = false;;) {
      const int n = PQgetCopyData(conn_, &buffer_, 1);
      if (n > 0) return {buffer_, static_cast<std::size_t>(n)};
      if (n < 0) throw Unavailable(error("stream"));
      if (waited) return {};
      pollfd fd{PQsocket(conn_), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(wait.count())) < 0 && errno != EINTR) throw Unavailable("poll failed");
      if (PQconsumeInput(conn_) == 0) throw Unavailable(error("stream"));
      waited = true;
    }
  }

  // Waits up to `timeout` until the stream (when `stream` is set) or `other` is readable.
  void wait(std::chrono::milliseconds timeout, int other, bool stream) {
    pollfd fds[2] = {{other, POLLIN, 0}, {PQsocket(conn_), POLLIN, 0}};
    if (::poll(fds, stream ? 2 : 1, static_cast<int>(timeout.count())) < 0 && errno != EINTR)
      throw Unavailable("poll failed");
  }

  // Standby status update: everything up to `flushed` is safely published.
  void feedback(Lsn received, Lsn flushed, bool reply_requested = false) {
    char m[34];
    m[0] = 'r';
    write64(m + 1, received);
    write64(m + 9, flushed);
    write64(m + 17, flushed);
    write64(m + 25, static_cast<std::uint64_t>(now_pg_us()));
    m[33] = reply_requested ? 1 : 0;
    if (PQputCopyData(conn_, m, sizeof m) != 1 || PQflush(conn_) != 0) throw Unavailable(error("feedback"));
  }

 private:
  std::string error(const char* what) const {
    std::string e = std::string(what) + ": " + PQerrorMessage(conn_);
    while (!e.empty() && std::isspace(static_cast<unsigned char>(e.back()))) e.pop_back();
    return e;
  }
  PGconn* conn_ = nullptr;
  char* buffer_ = nullptr;
};

// One committed transaction's events on their way to Kafka.
struct InFlight {
  Lsn end = 0;            // confirmed once every event of it (and of those before) is acknowledged
  int remaining = 0;      // deliveries not yet reported
  bool failed = false;
  double commit_epoch = 0;  // seconds, for the commit-to-ack histogram
  std::uint32_t xid = 0;
  bool sent = false;        // handed to the producer (once the transaction is visible)
  std::vector<OutboxMessage> events;
};

// Which transactions a fresh snapshot still sees as running. The walsender decodes a commit as
// soon as its WAL is flushed, a moment before the committing backend makes it visible to other
// sessions: an event published in that moment could come back (through another service) before
// its own transaction can be seen by the service that wrote it.
class Visibility {
 public:
  explicit Visibility(const std::string& url) : conn_(url) {}
  // Takes a snapshot ("xmin:xmax:xip,...").
  void refresh() {
    pqxx::nontransaction tx(conn_);
    const auto text = core::exec1(tx, queries::current_snapshot())[0].as<std::string>();
    const auto c1 = text.find(':'), c2 = text.find(':', c1 + 1);
    xmax_ = std::stoull(text.substr(c1 + 1, c2 - c1 - 1));
    running_.clear();
    for (std::size_t at = c2 + 1; at < text.size();) {
      const auto comma = std::min(text.find(',', at), text.size());
      running_.push_back(std::stoull(text.substr(at, comma - at)));
      at = comma + 1;
    }
  }
  // A 32-bit xid of the stream, against the last snapshot's 64-bit ones.
  bool visible(std::uint32_t xid) const {
    std::uint64_t full = (xmax_ & ~0xffff'ffffULL) | xid;
    if (full > xmax_ && full >= (1ULL << 32)) full -= 1ULL << 32;
    if (full >= xmax_) return false;
    return std::find(running_.begin(), running_.end(), full) == running_.end();
  }

 private:
  pqxx::connection conn_;
  std::uint64_t xmax_ = 0;
  std::vector<std::uint64_t> running_;
};

}  // namespace

std::string outbox_slot_name(std::string_view database_name) {
  std::string slot = "shopmesh_outbox_";
  for (char c : database_name) {
    const auto u = static_cast<unsigned char>(c);
    slot += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return slot.substr(0, 63);
}

namespace {

SlotStatus slot_status(pqxx::transaction_base& tx) {
  SlotStatus st;
  const auto r = core::exec(tx, queries::slot_status(), outbox_slot_name(tx.conn().dbname()));
  if (r.empty()) return st;
  st.exists = true;
  st.active = r[0][0].as<bool>();
  st.wal_status = r[0][1].as<std::string>();
  st.retained_bytes = r[0][2].as<long long>();
  st.unconfirmed_bytes = r[0][3].as<long long>();
  return st;
}

// The slot, created if missing, before anything writes an event; then events a previous
// version left in its outbox table are written again as messages (in their order), and the
// table goes.
std::string prepare_slot(const std::string& url, core::Logger& log) {
  pqxx::connection conn(url);
  const std::string slot = outbox_slot_name(conn.dbname());
  {
    pqxx::nontransaction tx(conn);
    const auto level = core::exec1(tx, queries::wal_level())[0].as<std::string>();
    if (level != "logical")
      throw std::runtime_error("the outbox needs PostgreSQL with wal_level = logical (it is '" + level + "')");
    if (core::exec(tx, queries::slot_exists(), slot).empty()) {
      try {
        core::exec(tx, queries::create_slot(), slot);
        log.info("outbox slot created", {{"slot", slot}});
      } catch (const pqxx::sql_error& e) {
        // Another instance created it at the same moment.
        if (e.sqlstate() != "42710") throw;
      }
    }
  }
  pqxx::work tx(conn);
  if (core::exec1(tx, queries::outbox_table_exists())[0].as<bool>()) {
    try {
      core::exec(tx, queries::lock_outbox_table());
    } catch (const pqxx::undefined_table&) {
      return slot;  // another instance starting at the same moment retired it first
    }
    const auto r = core::exec(tx, queries::republish_outbox_table(), std::string(kOutboxPrefix));
    core::exec(tx, queries::drop_outbox_table());
    tx.commit();
    log.info("outbox table retired", {core::num("republished", static_cast<long long>(r.size()))});
  }
  return slot;
}

}  // namespace

SlotStatus outbox_slot_status(core::PgPool& db) {
  return db.transact([](pqxx::work& tx) { return slot_status(tx); });
}

std::function<bool()> OutboxRelay::health_check(core::PgPool& db, long long max_retained_wal_bytes) {
  return [&db, max_retained_wal_bytes] {
    try {
      const SlotStatus st = outbox_slot_status(db);
      return st.exists && st.wal_status != "lost" && st.retained_bytes <= max_retained_wal_bytes;
    } catch (const std::exception&) {
      return false;
    }
  };
}

struct OutboxRelay::Impl {
  Impl(RelayOptions o, core::Logger& l, prometheus::Registry& registry)
      : options(std::move(o)),
        log(l),
        published(prometheus::BuildCounter()
                      .Name("outbox_published_total")
                      .Help("Outbox events acknowledged by Kafka, by topic")
                      .Register(registry)),
        failures(prometheus::BuildCounter()
                     .Name("outbox_publish_failures_total")
                     .Help("Outbox events whose delivery failed (published again from the slot)")
                     .Register(registry)
                     .Add({})),
        pending(prometheus::BuildGauge()
                    .Name("outbox_pending")
                    .Help("Committed transactions read from the slot whose events Kafka has not yet acknowledged")
                    .Register(registry)
                    .Add({})),
        active(prometheus::BuildGauge()
                   .Name("outbox_relay_active")
                   .Help("1 while this instance's relay streams the database's outbox slot, 0 while it stands by")
                   .Register(registry)
                   .Add({})),
        latency(prometheus::BuildHistogram()
                    .Name("outbox_commit_to_ack_seconds")
                    .Help("Time from the transaction's commit to Kafka's acknowledgement of its events")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                     0.25, 0.5, 1, 5, 30})),
        backlog(prometheus::BuildGauge()
                    .Name("outbox_backlog_bytes")
                    .Help("WAL the database's outbox slot retains past its confirmed position (current LSN - "
                          "confirmed flush LSN), read from PostgreSQL by every instance")
                    .Register(registry)
                    .Add({})),
        oldest(prometheus::BuildGauge()
                   .Name("outbox_oldest_unpublished_seconds")
                   .Help("Age of the oldest committed outbox transaction this relay read and Kafka has not yet "
                         "acknowledged (0 when none, and on a standing-by instance)")
                   .Register(registry)
                   .Add({})) {}

  // Streams from the slot until stopped or something fails (then throws).
  void stream(ReplicationStream& replication, Producer& producer);

  // The published counter of a topic, made the first time it is published to (relay thread only).
  prometheus::Counter* published_to(const std::string& topic) {
    auto it = published_by_topic.find(topic);
    if (it == published_by_topic.end())
      it = published_by_topic.emplace(topic, &published.Add({{"topic", topic}})).first;
    return it->second;
  }

  RelayOptions options;
  core::Logger& log;
  prometheus::Family<prometheus::Counter>& published;
  std::unordered_map<std::string, prometheus::Counter*> published_by_topic;
  prometheus::Counter& failures;
  prometheus::Gauge& pending;
  prometheus::Gauge& active;
  prometheus::Histogram& latency;
  prometheus::Gauge& backlog;
  prometheus::Gauge& oldest;
  std::string slot;
  std::thread thread;
  std::thread backlog_thread;
  core::StopFlag stopping;
};

OutboxRelay::OutboxRelay(RelayOptions options, core::Logger& log, prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), log, metrics)) {
  impl_->slot = prepare_slot(impl_->options.database_url, log);
}

OutboxRelay::~OutboxRelay() { stop(); }

void OutboxRelay::start() {
  impl_->thread = std::thread([this] { run(); });
  impl_->backlog_thread = std::thread([this] { watch_backlog(); });
}

void OutboxRelay::stop() {
  impl_->stopping.request();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->backlog_thread.joinable()) impl_->backlog_thread.join();
}

// Every instance reads the slot's backlog on a connection of its own: the active relay may be
// stuck, dead or on another host, and the figure must still move.
void OutboxRelay::watch_backlog() {
  core::name_this_thread("outbox-backlog");
  auto& s = *impl_;
  std::unique_ptr<pqxx::connection> conn;
  while (!s.stopping) {
    try {
      if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(s.options.database_url);
      pqxx::nontransaction tx(*conn);
      const SlotStatus st = slot_status(tx);
      s.backlog.Set(st.exists ? static_cast<double>(std::max(0LL, st.unconfirmed_bytes)) : 0.0);
    } catch (const std::exception& e) {
      conn.reset();  // the figure keeps its last value until PostgreSQL answers again
      s.log.debug("outbox backlog not read", {{"slot", s.slot}, {"error", e.what()}});
    }
    s.stopping.wait_for(s.options.backlog_every);
  }
}

void OutboxRelay::Impl::stream(ReplicationStream& replication, Producer& producer) {
  std::deque<InFlight> in_flight;  // in commit order; references stay valid while queued
  // Leaving early, the reports of what is still queued are served (as failures) while the
  // transactions they point to exist.
  struct DrainOnExit {
    Producer& producer;
    ~DrainOnExit() { producer.drain(); }
  } drain_on_exit{producer};
  std::vector<OutboxMessage> events;  // of the transaction being read
  double commit_epoch = 0;
  std::uint32_t xid = 0;
  std::size_t unsent = 0;  // transactions read and not yet handed to the producer
  long long unsent_events = 0;  // their events
  Visibility visibility(options.database_url);
  bool in_transaction = false;
  Lsn received = 0, confirmed = 0, reported = 0;
  Lsn idle_end = 0;        // the last keepalive's WAL end: confirmable once nothing read before it is pending
  long long unacked = 0;   // events handed to the producer and not yet reported
  auto last_report = std::chrono::steady_clock::now();

  auto advance = [&] {
    while (!in_flight.empty() && in_flight.front().sent && in_flight.front().remaining == 0) {
      if (in_flight.front().failed) throw Unavailable("Kafka did not acknowledge an event; streaming again from the slot");
      confirmed = std::max(confirmed, in_flight.front().end);
      in_flight.pop_front();
    }
    // Nothing of ours is pending before the keepalive's WAL end: the slot may move past it (no
    // WAL kept for transactions of other databases or without events).
    if (in_flight.empty() && !in_transaction) confirmed = std::max(confirmed, idle_end);
    pending.Set(static_cast<double>(in_flight.size()));
    oldest.Set(in_flight.empty() ? 0.0
                                 : std::max(0.0, std::chrono::duration<double>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                         .count() -
                                                     in_flight.front().commit_epoch));
  };
  auto report = [&](bool force) {
    // Nothing to say before the first transaction or keepalive: the slot's own position is
    // unknown here, and a lower one must never be reported.
    if (confirmed == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (force || (confirmed > reported && now - last_report >= std::chrono::milliseconds(100)) ||
        now - last_report >= std::chrono::seconds(10)) {
      replication.feedback(received, confirmed);
      reported = confirmed;
      last_report = now;
    }
  };

  // Hands the read transactions to the producer, in commit order, as far as they are visible.
  // False when one is not yet: it and those after it wait for the next look.
  auto send_visible = [&] {
    if (unsent == 0) return true;
    visibility.refresh();
    for (InFlight& tx : in_flight) {
      if (tx.sent) continue;
      if (!visibility.visible(tx.xid)) return false;
      for (const OutboxMessage& e : tx.events) {
        prometheus::Counter* published_here = published_to(e.topic);
        prometheus::Histogram* stage = nullptr;
        if (options.pipeline != nullptr && e.type == "ORDER_CREATED")
          stage = options.pipeline->histogram(PipelineStage::published);
        Envelope headers_of;
        headers_of.id = e.id;
        headers_of.type = e.type;
        headers_of.version = e.version;
        headers_of.traceparent = e.traceparent;
        const auto on_delivery = [&, published_here, stage](const Delivery& d) {
          tx.failed = tx.failed || !d.ok;
          --tx.remaining;
          --unacked;
          if (d.ok) {
            published_here->Increment();
            const double since_commit =
                std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                tx.commit_epoch;
            if (stage != nullptr) stage->Observe(std::max(0.0, since_commit));
            if (tx.remaining == 0) latency.Observe(since_commit);
          } else {
            failures.Increment();
          }
        };
        const bool queued = producer.send(e.topic, e.key, e.value, envelope_headers(headers_of), on_delivery);
        // The producer is unusable: nothing after it may go out.
        if (!queued) throw Unavailable("Kafka producer refused an event; streaming again from the slot");
        ++unacked;
      }
      unsent_events -= static_cast<long long>(tx.events.size());
      tx.events.clear();
      tx.sent = true;
      --unsent;
    }
    return true;
  };

  // One message of the stream: a transaction's begin, its events and its commit, or a keepalive.
  auto handle = [&](std::string_view msg) {
    if (msg.size() >= 25 && msg[0] == 'w') {
      received = std::max<Lsn>(received, read64(msg.data() + 9));
      const char* p = msg.data() + 25;
      const std::size_t n = msg.size() - 25;
      if (n >= 21 && p[0] == 'B') {  // Begin: final LSN, commit time, xid
        in_transaction = true;
        events.clear();
        xid = read32(p + 17);
        commit_epoch = static_cast<double>(static_cast<long long>(read64(p + 9)) + kPgEpochOffsetUs) / 1e6;
      } else if (n >= 14 && p[0] == 'M') {  // Message: flags, LSN, prefix, length, content
        const char* prefix = p + 10;
        const std::size_t prefix_len = strnlen(prefix, n - 10);
        if (10 + prefix_len + 5 <= n && std::string_view(prefix, prefix_len) == kOutboxPrefix) {
          const char* len_at = prefix + prefix_len + 1;
          const std::uint32_t len = read32(len_at);
          auto m = static_cast<std::size_t>(len_at + 4 + len - p) <= n ? OutboxMessage::decode({len_at + 4, len})
                                                                        : std::nullopt;
          if (m)
            events.push_back(std::move(*m));
          else
            log.error("outbox message in an unknown format: skipped", {{"slot", slot}});
        }
      } else if (n >= 26 && p[0] == 'C') {  // Commit: flags, commit LSN, end LSN, commit time
        in_transaction = false;
        in_flight.push_back(InFlight{read64(p + 10), static_cast<int>(events.size()), false, commit_epoch, xid, false,
                                     std::move(events)});
        ++unsent;
        unsent_events += static_cast<long long>(in_flight.back().events.size());
        events.clear();
      }
    } else if (msg.size() >= 18 && msg[0] == 'k') {  // keepalive: server WAL end, time, reply requested
      const Lsn wal_end = read64(msg.data() + 1);
      received = std::max(received, wal_end);
      if (!in_transaction) idle_end = wal_end;
      advance();
      report(msg[17] != 0);
    }
  };

  // What the walsender has sent is read as it comes and handed to the producer (linger 0) once
  // everything handed over before is acknowledged: one batch is in flight at a time, and what was
  // read meanwhile goes out together, a partition's events in one request (batches grow with the
  // load by themselves). The thread sleeps until the walsender sends more or librdkafka has
  // acknowledgements to report. Handed over as they came, events queued behind a partition whose
  // five-message idempotence window was full (librdkafka 2.0.2 counts the window in messages), and
  // its broker thread polled with a zero timeout until the window opened: at 160 orders/s, 85-160
  // ms of CPU a second in each consuming service.
  const int acks_fd = producer.ready_fd();
  constexpr std::size_t kReadBurst = 4096;  // messages read before what they carry is handed over
  while (!stopping) {
    // A large backlog is not read faster than Kafka takes it: past kMaxUnacked events read and
    // not acknowledged, only acknowledgements are waited for.
    const bool backpressure = unacked + unsent_events > kMaxUnacked;
    std::size_t read_now = 0;
    if (!backpressure)
      for (std::string_view msg; read_now < kReadBurst && !(msg = replication.read(std::chrono::milliseconds(0))).empty();
           ++read_now)
        handle(msg);
    producer.clear_ready();  // before serving: a report arriving after poll() sets it again
    producer.poll(std::chrono::milliseconds(0));
    // A transaction not yet visible is looked at again in a millisecond (it is a matter of
    // microseconds); while a batch is in flight, its acknowledgements wake the thread.
    const bool all_sent = unacked > 0 || send_visible();
    advance();
    report(false);
    if (read_now == kReadBurst) continue;  // more is waiting
    const auto wait = !all_sent ? std::chrono::milliseconds(1)
                      : confirmed > reported ? std::chrono::milliseconds(100)
                                             : std::chrono::milliseconds(500);
    replication.wait(wait, acks_fd, !backpressure);
  }
  // Stopping: what was sent gets its acknowledgements, and the slot learns how far it got.
  producer.flush(std::chrono::seconds(10));
  try {
    advance();
  } catch (const Unavailable&) {
  }
  report(true);
}

void add_outbox_relay(core::ServiceContext& ctx, const std::string& producer_name, OrderPipeline* pipeline) {
  RelayOptions options{ctx.config.database_url, ctx.config.kafka_brokers, producer_name};
  options.pipeline = pipeline;
  ctx.components.push_back(std::make_unique<OutboxRelay>(options, ctx.log, ctx.metrics));
  ctx.health_checks.emplace_back("outbox", OutboxRelay::health_check(*ctx.db, options.max_retained_wal_bytes));
  ctx.health_details.emplace_back("outbox", [&db = *ctx.db] {
    const SlotStatus st = outbox_slot_status(db);
    return std::string("{\"slotExists\":") + (st.exists ? "true" : "false") +
           ",\"relayActive\":" + (st.active ? "true" : "false") + ",\"walStatus\":\"" + st.wal_status +
           "\",\"retainedBytes\":" + std::to_string(st.retained_bytes) +
           ",\"unconfirmedBytes\":" + std::to_string(st.unconfirmed_bytes) + "}";
  });
}

void OutboxRelay::run() {
  core::name_this_thread("outbox-relay");
  auto& s = *impl_;
  std::chrono::milliseconds backoff = s.options.backoff_initial;
  bool standing_by = false;
  while (!s.stopping) {
    try {
      ReplicationStream replication(s.options.database_url);
      if (!replication.start(s.slot)) {
        s.oldest.Set(0);
        s.pending.Set(0);
        if (!standing_by) s.log.info("outbox relay standing by: another instance reads the slot", {{"slot", s.slot}});
        standing_by = true;
        s.stopping.wait_for(s.options.standby_retry);
        continue;
      }
      // No delivery timeout: while the broker is away, events wait in the producer and the relay
      // in their order (at most kMaxUnacked of them, the rest in the slot). A timeout would fail the
      // oldest while later ones of the same key still went out, and their republication from
      // the slot would then arrive after them.
      // No linger: an event goes out as soon as the relay hands it over (see stream()).
      Producer producer({s.options.brokers, s.options.producer_name + "-relay", std::chrono::milliseconds(0),
                         std::chrono::milliseconds(0)},
                        s.log);
      s.log.info(standing_by ? "outbox relay took over the slot" : "outbox relay started", {{"slot", s.slot}});
      standing_by = false;
      backoff = s.options.backoff_initial;
      s.active.Set(1);
      s.stream(replication, producer);
      s.active.Set(0);
    } catch (const std::exception& e) {
      s.active.Set(0);
      s.log.warn("outbox relay: streaming again after an error", {{"slot", s.slot}, {"error", e.what()},
                                                                  core::num("backoffMs", static_cast<long long>(backoff.count()))});
      s.stopping.wait_for(backoff);
      backoff = std::min(backoff * 2, s.options.backoff_max);
    }
  }
  s.log.info("outbox relay stopped", {{"slot", s.slot}});
}

}  // namespace shopmesh::events
