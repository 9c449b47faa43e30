#include "shopmesh/gateway/events.hpp"

#include <librdkafka/rdkafkacpp.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "shopmesh/contracts/product_created_v1.hpp"
#include "shopmesh/contracts/product_deleted_v1.hpp"
#include "shopmesh/contracts/product_updated_v1.hpp"
#include "shopmesh/contracts/session_revoked_v1.hpp"
#include "shopmesh/contracts/stock_changed_v1.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/events/kafka.hpp"
#include "shopmesh/gateway/response_cache.hpp"

namespace shopmesh::gateway {
namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view member_string(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

std::optional<SessionRevoked> parse_session_revoked(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || member_string(doc, "type") != contracts::SessionRevokedV1::kType)
    return std::nullopt;
  auto data_it = doc.FindMember("data");
  if (data_it == doc.MemberEnd() || !data_it->value.IsObject()) return std::nullopt;
  // The data as its contract (contracts/events/SESSION_REVOKED.v1.json) decodes and validates it.
  const auto decoded = contracts::from_json<contracts::SessionRevokedV1>(data_it->value);
  if (!decoded.ok()) return std::nullopt;
  const contracts::SessionRevokedV1& v = *decoded.value;
  auto revoked_at = parse_rfc3339(v.revoked_at);
  if (!revoked_at) return std::nullopt;
  return SessionRevoked{v.user_id.value, v.session_id.value_or(""), v.except_session_id.value_or(""), *revoked_at};
}

GatewayEventHandler::GatewayEventHandler(std::string identity_topic, std::vector<std::string> cache_topics,
                                         RevocationSet& revocations, ResponseCache& cache)
    : identity_topic_(std::move(identity_topic)),
      cache_topics_(std::move(cache_topics)),
      revocations_(revocations),
      cache_(cache) {}

GatewayEventHandler::Effect GatewayEventHandler::apply(std::string_view topic, std::string_view value,
                                                       std::int64_t now_s) {
  if (topic == identity_topic_) {
    if (value.find("SESSION_REVOKED") == std::string_view::npos) return Effect::ignored;  // cheap pre-filter
    auto e = parse_session_revoked(value);
    if (!e) {
      // A SESSION_REVOKED we cannot read is worth a log line; other types are simply not ours.
      rapidjson::Document doc;
      doc.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());  // hostile nesting: no recursion
      const bool ours = !doc.HasParseError() && doc.IsObject() && member_string(doc, "type") == "SESSION_REVOKED";
      return ours ? Effect::malformed : Effect::ignored;
    }
    revocations_.add(*e, now_s);
    return Effect::revoked;
  }
  if (std::find(cache_topics_.begin(), cache_topics_.end(), topic) == cache_topics_.end()) return Effect::ignored;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    cache_.invalidate_all();  // unreadable catalog news: assume the worst
    return Effect::malformed;
  }
  const std::string_view type = member_string(doc, "type");
  // Product changes, and stock levels (shown on products); not reservations as such.
  if (type == contracts::ProductCreatedV1::kType || type == contracts::ProductUpdatedV1::kType ||
      type == contracts::ProductDeletedV1::kType || type == contracts::StockChangedV1::kType) {
    cache_.invalidate_all();
    return Effect::cache_cleared;
  }
  return Effect::ignored;
}

// ------------------------------------------------------------------------------------- Kafka side

class EventConsumer::Rebalance : public RdKafka::RebalanceCb {
 public:
  explicit Rebalance(EventConsumer& owner) : owner_(owner) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err != RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->unassign();
      owner_.assigned_ = false;
      owner_.identity_partitions_.clear();
      if (owner_.settings_.feed) owner_.settings_.feed->unassigned();
      return;
    }
    // Identity events are replayed over the revocation window (a restarted gateway must still
    // refuse tokens revoked shortly before); cache events from a little before our start.
    const std::int64_t now = unix_ms();
    const std::int64_t identity_from = now - owner_.settings_.identity_replay.count() * 1000;
    const std::int64_t cache_from = owner_.started_ms_ - 5'000;
    for (auto* tp : partitions)
      tp->set_offset(tp->topic() == owner_.settings_.identity_topic ? identity_from : cache_from);
    const auto err2 = consumer->offsetsForTimes(partitions, 5'000);
    if (err2 != RdKafka::ERR_NO_ERROR) {
      owner_.log_.warn("kafka offsetsForTimes failed; identity events from the beginning, others from the end",
                       {{"error", RdKafka::err2str(err2)}});
      for (auto* tp : partitions)
        tp->set_offset(tp->topic() == owner_.settings_.identity_topic ? RdKafka::Topic::OFFSET_BEGINNING
                                                                      : RdKafka::Topic::OFFSET_END);
    }
    // (offsetsForTimes leaves -1, i.e. OFFSET_END, where no message is that recent.)
    owner_.identity_partitions_.clear();
    for (auto* tp : partitions)
      if (tp->topic() == owner_.settings_.identity_topic) owner_.identity_partitions_.push_back(tp->partition());
    if (owner_.settings_.feed) owner_.settings_.feed->assigned();
    consumer->assign(partitions);
    owner_.assigned_ = true;
    owner_.log_.info("kafka partitions assigned", {core::num("partitions", static_cast<long long>(partitions.size()))});
  }

 private:
  EventConsumer& owner_;
};

EventConsumer::EventConsumer(Settings settings, Sink sink, core::Logger& log)
    : settings_(std::move(settings)), sink_(std::move(sink)), log_(log), started_ms_(unix_ms()) {}

EventConsumer::~EventConsumer() {
  stop();
}

void EventConsumer::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void EventConsumer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventConsumer::loop() {
  core::name_this_thread("gateway-events");
  core::yield_on_wakeup();
  Rebalance rebalance(*this);
  const std::pair<const char*, std::string> settings[] = {
      {"group.id", settings_.group_id},
      {"enable.auto.commit", "false"},  // an ephemeral group: nothing is ever committed
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "latest"},
      {"partition.assignment.strategy", "range"},  // not cooperative-sticky (librdkafka 2.0.2 bugs)
      // How long the broker may hold a fetch that finds nothing new (librdkafka's default). An event
      // ends the wait as soon as it is written, so this bounds nothing a client sees; at 100 ms the
      // gateway was the stack's busiest Kafka client while idle. The end offsets go over a client of
      // their own (`prober` below), as a broker answers a connection's requests in order and would
      // keep them behind the held fetch.
      {"fetch.wait.max.ms", "500"},
      {"enable.partition.eof", "true"},            // reaching the end is progress (RevocationFeed)
      {"session.timeout.ms", "10000"},
      {"allow.auto.create.topics", "false"},
      {"topic.metadata.refresh.interval.ms", "10000"},
      {"log_level", "3"},
  };
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  try {
    events::KafkaConfig conf(settings_.brokers, "shopmesh-gateway");
    for (const auto& [k, v] : settings) conf.set(k, v);
    consumer = conf.on_rebalance(&rebalance).consumer();
  } catch (const std::exception& e) {
    log_.error("kafka consumer could not be created: revocations and cache invalidation are off",
               {{"error", e.what()}});
    return;
  }
  std::unique_ptr<RdKafka::Producer> prober;  // the end-offset probe's own connection; sends nothing
  if (settings_.feed) {
    try {
      prober = events::KafkaConfig(settings_.brokers, "shopmesh-gateway-feed").set("log_level", "3").producer();
    } catch (const std::exception& e) {
      // The feed then never turns fresh: every token is checked with auth (revocation never fails open).
      log_.error("kafka probe client could not be created: the revocation feed stays stale", {{"error", e.what()}});
    }
  }
  std::vector<std::string> topics{settings_.identity_topic};
  for (const auto& t : settings_.cache_topics)
    if (std::find(topics.begin(), topics.end(), t) == topics.end()) topics.push_back(t);
  if (auto e = consumer->subscribe(topics); e != RdKafka::ERR_NO_ERROR) {
    log_.error("kafka subscribe failed", {{"error", RdKafka::err2str(e)}});
    consumer->close();
    return;
  }
  {
    std::string list;
    for (const auto& t : topics) list += (list.empty() ? "" : ",") + t;
    log_.info("kafka consumer started", {{"group", settings_.group_id}, {"topics", list}});
  }
  auto last_warning = std::chrono::steady_clock::time_point{};
  auto next_probe = std::chrono::steady_clock::now();
  const auto wait_ms = static_cast<int>(std::min<long long>(100, settings_.probe_interval.count()));
  while (!stopping_.load()) {
    if (prober && !identity_partitions_.empty() && std::chrono::steady_clock::now() >= next_probe) {
      probe(*prober);
      next_probe = std::chrono::steady_clock::now() + settings_.probe_interval;
    }
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(wait_ms));
    if (!msg) continue;
    const bool identity = settings_.feed && msg->topic_name() == settings_.identity_topic;
    switch (msg->err()) {
      case RdKafka::ERR_NO_ERROR:
        consumed_.fetch_add(1, std::memory_order_relaxed);
        sink_(msg->topic_name(), std::string_view(static_cast<const char*>(msg->payload()), msg->len()));
        if (identity) settings_.feed->progress(msg->partition(), msg->offset() + 1);
        break;
      case RdKafka::ERR__PARTITION_EOF:
        if (identity) settings_.feed->progress(msg->partition(), msg->offset());
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default: {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_warning > std::chrono::seconds(30)) {
          last_warning = now;
          log_.warn("kafka consumer error", {{"error", msg->errstr()}});
        }
      }
    }
  }
  consumer->close();
  log_.info("kafka consumer closed");
}

void EventConsumer::probe(RdKafka::Handle& client) {
  // The end offsets as of now, all partitions in one ListOffsets request (timestamp -1 = latest),
  // bounded so that a broker that does not answer leaves the feed to go stale instead of stalling
  // the loop.
  const auto sent = RevocationFeed::Clock::now();
  const std::chrono::milliseconds timeout(std::clamp<long long>(settings_.probe_interval.count(), 50, 1000));
  RevocationFeed::Offsets ends;
  try {
    const std::vector<int> partitions(identity_partitions_.begin(), identity_partitions_.end());
    const auto latest = RdKafka::Topic::OFFSET_END;
    for (const auto& [partition, offset] :
         events::offsets_for_time(client, settings_.identity_topic, partitions, latest, timeout)) {
      if (offset < 0) return;
      ends[partition] = offset;
    }
  } catch (const std::runtime_error&) {
    return;  // the feed goes stale; the next probe asks again
  }
  settings_.feed->probed(sent, ends);
}

}  // namespace shopmesh::gateway
