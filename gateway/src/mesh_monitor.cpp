#include "shopmesh/gateway/mesh_monitor.hpp"

#include <optional>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/gateway/config.hpp"

namespace shopmesh::gateway {
namespace {

// A scrape that takes longer than this is the instance's problem, not the round's.
constexpr std::chrono::milliseconds kScrapeTimeout{1'000};
constexpr std::chrono::milliseconds kKafkaTimeout{1'000};

}  // namespace

MeshTopology mesh_topology(const GatewayConfig& config, const events::TopicCatalogue& catalogue) {
  MeshTopology t;
  for (const auto& [service, instances] : config.upstreams) {
    MeshTopology::Service s{service, {}};
    for (const auto& a : instances) s.instances.push_back(a.host + ":" + std::to_string(a.port));
    t.services.push_back(std::move(s));
  }
  t.catalogue = catalogue;
  return t;
}

MeshMonitor::MeshMonitor(MeshTopology topology, std::string kafka_brokers, std::chrono::milliseconds interval,
                         prometheus::Registry& registry, core::Logger& log, std::chrono::milliseconds idle_after)
    : topology_(std::move(topology)),
      brokers_(std::move(kafka_brokers)),
      interval_(interval),
      idle_after_(idle_after),
      registry_(registry),
      log_(log) {}

MeshMonitor::~MeshMonitor() { stop(); }

void MeshMonitor::start() {
  if (interval_.count() <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void MeshMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  dlq_reader_.reset();
}

std::shared_ptr<const std::string> MeshMonitor::latest() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now >= watched_until_) wake_.notify_all();  // idle: the rounds start again
  watched_until_ = now + idle_after_;
  return latest_;
}

std::uint64_t MeshMonitor::rounds() const {
  std::lock_guard lock(mutex_);
  return rounds_;
}

MeshScrape MeshMonitor::scrape_round() {
  MeshScrape round;
  for (const auto& service : topology_.services)
    for (const auto& instance : service.instances) {
      InstanceScrape s{service.name, instance, false, {}, {}};
      core::HttpCall call;
      call.url = "http://" + instance + "/metrics";
      call.timeout = kScrapeTimeout;
      const auto r = core::http_call(call);
      if (r.status == 200) {
        s.ok = true;
        s.metrics = prom::parse(r.body);
      } else {
        s.error = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
      }
      round.instances.push_back(std::move(s));
    }
  round.gateway = prom::parse(prometheus::TextSerializer().Serialize(registry_.Collect()));
  // The counters' moment: rates divide by the time between two of these (the DLQ reads below may
  // take longer in one round than in another).
  round.at = std::chrono::system_clock::now();

  if (!dlq_reader_ && !topology_.catalogue.consumers.empty()) {
    try {
      dlq_reader_ = std::make_unique<events::TopicEndsReader>(brokers_, "gateway-mesh-view", kKafkaTimeout);
    } catch (const std::exception& e) {
      log_.warn("mesh view: no Kafka reader", {{"error", e.what()}});
    }
  }
  std::string broker_down;  // once the broker times out, the round does not wait on it again
  for (const auto& g : topology_.catalogue.consumers)
    for (const auto& topic : g.topics) {
      DlqScrape d{events::dlq_topic(topic, g.group), false, {}, {}};
      if (!dlq_reader_ && !topology_.catalogue.consumers.empty()) {
        d.error = "no Kafka client";
      } else if (!broker_down.empty()) {
        d.error = broker_down;
      } else {
        try {
          d.ends = dlq_reader_->read(d.topic, topology_.catalogue.dlq_partitions);
          d.ok = true;
        } catch (const std::exception& e) {
          d.error = e.what();
          if (d.error.find("imed out") != std::string::npos) broker_down = d.error;
        }
      }
      round.dlqs.push_back(std::move(d));
    }
  return round;
}

void MeshMonitor::run() {
  core::name_this_thread("mesh-monitor");
  core::yield_on_wakeup();
  std::optional<MeshScrape> previous;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= watched_until_) {
      // Nobody looked for idle_after_ (or yet): no rounds, and what they saw is forgotten.
      latest_.reset();
      previous.reset();
      wake_.wait(lock, [this] { return stopping_ || std::chrono::steady_clock::now() < watched_until_; });
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    lock.unlock();
    std::shared_ptr<const std::string> json;
    try {
      auto round = scrape_round();
      json = std::make_shared<const std::string>(mesh_json(topology_, previous ? &*previous : nullptr, round));
      previous = std::move(round);
    } catch (const std::exception& e) {
      log_.warn("mesh view: scrape failed", {{"error", e.what()}});
    }
    lock.lock();
    if (json) latest_ = std::move(json);
    ++rounds_;
    wake_.wait_until(lock, started + interval_, [this] { return stopping_; });
  }
}

}  // namespace shopmesh::gateway
