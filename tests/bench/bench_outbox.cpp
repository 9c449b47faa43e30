// Outbox relay benchmark on the real stack (run by `make bench`, never asserted):
//  1. latency: single-event transactions at a fixed rate; commit -> consumed from Kafka, p50/p99;
//  2. throughput: N events committed while the relay is stopped (its slot keeps them), then the
//     relay starts; events/s until all N arrived on the topic.
// Prints one JSON object (and a readable summary on stderr); exits 1 when events do not arrive.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafkacpp.h>
#include <pqxx/pqxx>

#include "bus_fixture.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/outbox.hpp"
#include "shopmesh/events/relay.hpp"
#include "stack_env.hpp"

using namespace shopmesh;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string payload(const std::string& id) {
  return R"({"productId":")" + id + R"(","deletedAt":"2026-11-21T20:00:00.000Z"})";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Consumes every partition of a topic from the beginning (assigned: no group to join first) and
// records when each key (= event id) arrived.
class Watcher {
 public:
  Watcher(const std::string& topic, int partitions) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", testing::stack_var("KAFKA_BROKERS"), err);
    conf->set("group.id", "bench-" + core::uuid_v7(), err);  // required, never joined
    conf->set("enable.auto.commit", "false", err);
    conf->set("fetch.wait.max.ms", "5", err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    std::vector<RdKafka::TopicPartition*> assignment;
    for (int p = 0; p < partitions; ++p)
      assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
    consumer_->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    thread_ = std::thread([this] {
      while (!stop_) {
        std::unique_ptr<RdKafka::Message> m(consumer_->consume(20));
        if (m->err() != RdKafka::ERR_NO_ERROR || !m->key()) continue;
        std::lock_guard lock(mutex_);
        seen_[*m->key()] = Clock::now();
      }
      consumer_->close();
    });
  }
  ~Watcher() {
    stop_ = true;
    thread_.join();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  std::map<std::string, Clock::time_point> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> seen_;
};

}  // namespace

int main(int argc, char** argv) {
  const int rate = argc > 1 ? std::atoi(argv[1]) : 200;
  const int latency_events = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int backlog = argc > 3 ? std::atoi(argv[3]) : 20000;
  testing::Infra infra;
  testing::TestDatabase db("bench_outbox");
  events::Outbox outbox("bench");
  auto relay_options = [&] {
    events::RelayOptions o;
    o.database_url = db.url;
    o.brokers = testing::stack_var("KAFKA_BROKERS");
    o.producer_name = "bench";
    return o;
  };

  // 1. Latency at a fixed rate.
  const std::string topic1 = "bench.latency." + core::uuid_v7();
  testing::create_topic(topic1, 6);
  Watcher watch1(topic1, 6);
  std::map<std::string, Clock::time_point> committed;
  {
    events::OutboxRelay relay(relay_options(), infra.log, infra.metrics);
    relay.start();
    pqxx::connection c(db.url);
    {  // warm-up: timing starts once the watcher is assigned and the relay's producer connected
      pqxx::work tx(c);
      for (int p = 0; p < 24; ++p) {
        const std::string id = core::uuid_v7();
        outbox.add(tx, topic1, "PRODUCT_DELETED", 1, id, payload(id), {});
      }
      tx.commit();
      testing::eventually([&] { return watch1.count() >= 24; }, 60s);
    }
    const auto interval = std::chrono::nanoseconds(1'000'000'000LL / rate);
    auto next = Clock::now();
    for (int i = 0; i < latency_events; ++i) {
      std::this_thread::sleep_until(next);
      next += interval;
      const std::string id = core::uuid_v7();
      pqxx::work tx(c);
      outbox.add(tx, topic1, "PRODUCT_DELETED", 1, id, payload(id), {});
      tx.commit();
      committed[id] = Clock::now();
    }
    testing::eventually([&] { return watch1.count() >= committed.size() + 24; }, 60s);
    relay.stop();
  }
  std::vector<double> latencies_ms;
  for (const auto& [id, seen_at] : watch1.seen())
    if (auto it = committed.find(id); it != committed.end())
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(seen_at - it->second).count());

  // 2. Throughput: a backlog committed while the relay is stopped, drained once it starts.
  const std::string topic2 = "bench.throughput." + core::uuid_v7();
  testing::create_topic(topic2, 6);
  Watcher watch2(topic2, 6);
  events::OutboxRelay relay(relay_options(), infra.log, infra.metrics);  // not started: the slot keeps the backlog
  {
    pqxx::connection c(db.url);
    for (int done = 0; done < backlog;) {
      pqxx::work tx(c);
      for (int i = 0; i < 500 && done < backlog; ++i, ++done) {
        const std::string id = core::uuid_v7();
        outbox.add(tx, topic2, "PRODUCT_DELETED", 1, id, payload(id), {});
      }
      tx.commit();
    }
  }
  const auto start = Clock::now();
  relay.start();
  const bool drained =
      testing::eventually([&] { return watch2.count() >= static_cast<std::size_t>(backlog); }, 300s, 5ms);
  const double drain_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  relay.stop();
  const bool latency_complete = latencies_ms.size() == static_cast<std::size_t>(latency_events);

  const double p50 = percentile(latencies_ms, 0.50), p99 = percentile(latencies_ms, 0.99),
               max = percentile(latencies_ms, 1.0);
  const double eps = backlog / drain_seconds;
  std::printf(
      "{\"outbox\":{\"rate\":%d,\"events\":%zu,\"commitToConsumedMs\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f},"
      "\"relayThroughput\":{\"events\":%d,\"seconds\":%.2f,\"eventsPerSecond\":%.0f}}}\n",
      rate, latencies_ms.size(), p50, p99, max, backlog, drain_seconds, eps);
  std::fprintf(stderr, "outbox commit -> consumed at %d/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu events)\n",
               rate, p50, p99, max, latencies_ms.size());
  std::fprintf(stderr, "relay throughput: %d events in %.2f s = %.0f events/s\n", backlog, drain_seconds, eps);
  if (!latency_complete || !drained) {
    std::fprintf(stderr, "outbox bench: events missing on Kafka (%zu of %d timed, %zu of %d drained)\n",
                 latencies_ms.size(), latency_events, watch2.count(), backlog);
    return 1;
  }
  return 0;
}
