#include "shopmesh/events/kafka.hpp"

#include <librdkafka/rdkafkacpp.h>
#include <sys/prctl.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace shopmesh::events {

KafkaConfig::KafkaConfig(std::string_view brokers, std::string_view client_id)
    : conf_(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)) {
  set("bootstrap.servers", brokers);
  set("client.id", client_id);
  set("socket.nagle.disable", "true");
  // librdkafka doubles the pause between connection attempts up to 10 s by default: a broker back
  // from an outage was found up to 10 s late by every client (the Java client's cap is 1 s).
  set("reconnect.backoff.max.ms", std::to_string(kReconnectBackoffMax.count()));
  set("log_level", "4");
}

KafkaConfig::~KafkaConfig() = default;
KafkaConfig::KafkaConfig(KafkaConfig&&) noexcept = default;
KafkaConfig& KafkaConfig::operator=(KafkaConfig&&) noexcept = default;

KafkaConfig& KafkaConfig::set(std::string_view key, std::string_view value) {
  std::string err;
  if (conf_->set(std::string(key), std::string(value), err) != RdKafka::Conf::CONF_OK)
    throw std::invalid_argument("kafka setting " + std::string(key) + ": " + err);
  return *this;
}

KafkaConfig& KafkaConfig::durable_producer() { return set("enable.idempotence", "true").set("acks", "all"); }

std::string KafkaConfig::get(std::string_view key) const {
  std::string value;
  if (conf_->get(std::string(key), value) != RdKafka::Conf::CONF_OK) return {};
  return value;
}

namespace {
template <class Callback>
void set_callback(RdKafka::Conf& conf, const char* key, Callback* callback) {
  std::string err;
  if (conf.set(key, callback, err) != RdKafka::Conf::CONF_OK)
    throw std::invalid_argument(std::string("kafka setting ") + key + ": " + err);
}
}  // namespace

KafkaConfig& KafkaConfig::on_delivery(RdKafka::DeliveryReportCb* callback) {
  set_callback(*conf_, "dr_cb", callback);
  return *this;
}

KafkaConfig& KafkaConfig::on_event(RdKafka::EventCb* callback) {
  set_callback(*conf_, "event_cb", callback);
  return *this;
}

KafkaConfig& KafkaConfig::on_rebalance(RdKafka::RebalanceCb* callback) {
  set_callback(*conf_, "rebalance_cb", callback);
  return *this;
}

namespace {

// librdkafka 2.0.2 (Debian 12's) waits for its next internal timer in whole milliseconds, rounded
// down, and then polls with a zero timeout until the timer is due: about a millisecond of busy
// waiting on its main thread for every timer it runs (once a second per client, more for a
// consumer in a group). That was 3 ms of CPU a second in an idle service with three clients, most
// of what it used (later librdkafka rounds up). Its threads inherit the timer slack of the thread
// that creates the client; with a millisecond of slack their timed waits end at or after the timer
// is due instead of up to a millisecond before it. Only waits that end by timeout are affected,
// by at most that millisecond: messages, fetch answers and delivery reports wake them at once.
class TimerSlackWhileCreating {
 public:
  TimerSlackWhileCreating() : saved_(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    ::prctl(PR_SET_TIMERSLACK, kSlackNs, 0, 0, 0);
  }
  ~TimerSlackWhileCreating() {
    if (saved_ > 0) ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(saved_), 0, 0, 0);
  }
  TimerSlackWhileCreating(const TimerSlackWhileCreating&) = delete;
  TimerSlackWhileCreating& operator=(const TimerSlackWhileCreating&) = delete;

 private:
  static constexpr unsigned long kSlackNs = 1'000'000;
  int saved_;
};

template <class Client>
std::unique_ptr<Client> create(const RdKafka::Conf* conf, const char* what) {
  const TimerSlackWhileCreating slack;
  std::string err;
  std::unique_ptr<Client> client(Client::create(conf, err));
  if (!client) throw std::runtime_error(std::string(what) + ": " + err);
  return client;
}

}  // namespace

std::unique_ptr<RdKafka::Producer> KafkaConfig::producer() const {
  return create<RdKafka::Producer>(conf_.get(), "kafka producer");
}

std::unique_ptr<RdKafka::KafkaConsumer> KafkaConfig::consumer() const {
  return create<RdKafka::KafkaConsumer>(conf_.get(), "kafka consumer");
}

bool broker_reachable(RdKafka::Handle& client, std::chrono::milliseconds timeout) {
  RdKafka::Metadata* md = nullptr;
  const bool ok = client.metadata(false, nullptr, &md, static_cast<int>(timeout.count())) == RdKafka::ERR_NO_ERROR &&
                  md != nullptr && !md->brokers()->empty();
  delete md;
  return ok;
}

namespace {

// An answer worth asking again for: the partition's leader is changing or unreachable.
bool leader_moving(RdKafka::ErrorCode e) {
  switch (e) {
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_OFFSET_NOT_AVAILABLE:
    case RdKafka::ERR_FENCED_LEADER_EPOCH:
    case RdKafka::ERR_UNKNOWN_LEADER_EPOCH:
    case RdKafka::ERR_REPLICA_NOT_AVAILABLE:
      return true;
    default:
      return false;
  }
}

// How long one ListOffsets attempt may wait. librdkafka sends it to the leader its metadata names;
// a leader killed since is only replaced there by a metadata refresh after the controller fenced it
// (KRaft: broker.session.timeout.ms), so an attempt that outlives this is abandoned, the
// metadata read again and the question asked anew.
constexpr std::chrono::milliseconds kOffsetsAttempt{2'000};

}  // namespace

std::map<int, long long> offsets_for_time(RdKafka::Handle& client, const std::string& topic,
                                          const std::vector<int>& partitions, long long timestamp_ms,
                                          std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::vector<RdKafka::TopicPartition*> list;
    list.reserve(partitions.size());
    for (const int p : partitions) list.push_back(RdKafka::TopicPartition::create(topic, p, timestamp_ms));
    auto rc = client.offsetsForTimes(list, static_cast<int>(std::clamp(left, std::chrono::milliseconds(1),
                                                                        kOffsetsAttempt).count()));
    std::map<int, long long> out;
    for (auto* tp : list) {
      if (tp->err() != RdKafka::ERR_NO_ERROR && rc == RdKafka::ERR_NO_ERROR) rc = tp->err();
      out[tp->partition()] = tp->offset();
    }
    RdKafka::TopicPartition::destroy(list);
    if (rc == RdKafka::ERR_NO_ERROR) return out;
    if (!leader_moving(rc) || Clock::now() >= deadline)
      throw std::runtime_error("offsets of " + topic + ": " + RdKafka::err2str(rc));
    // Read the metadata again (librdkafka's cache takes the answer), so the next attempt goes to
    // the partitions' current leaders.
    RdKafka::Metadata* md = nullptr;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (client.metadata(true, nullptr, &md, static_cast<int>(std::max<long long>(wait.count(), 1))) ==
        RdKafka::ERR_NO_ERROR)
      delete md;
  }
}

std::map<int, Watermarks> watermarks(RdKafka::Handle& client, const std::string& topic, int partitions,
                                     std::chrono::milliseconds timeout) {
  std::vector<int> all(static_cast<std::size_t>(std::max(partitions, 0)));
  std::iota(all.begin(), all.end(), 0);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto low = offsets_for_time(client, topic, all, -2, timeout);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  const auto high = offsets_for_time(client, topic, all, -1, std::max(left, std::chrono::milliseconds(1)));
  std::map<int, Watermarks> out;
  for (const auto& [p, l] : low) out[p] = {l, high.at(p)};  // offsets_for_time answers every partition
  return out;
}

}  // namespace shopmesh::events
