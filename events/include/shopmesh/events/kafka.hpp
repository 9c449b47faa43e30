#pragma once
// The Kafka layer every Shopmesh client is built on (services' producers and consumers, the
// gateway's revocation feed and health probe, meshctl): one place that writes a librdkafka
// configuration, with the settings they all share, and the metadata questions they all ask.
// Only librdkafka and the standard library behind it: the gateway links this without the bus.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace RdKafka {
class Conf;
class DeliveryReportCb;
class EventCb;
class Handle;
class KafkaConsumer;
class Producer;
class RebalanceCb;
}  // namespace RdKafka

namespace shopmesh::events {

/// The longest pause between two attempts to connect to a broker (librdkafka's default is 10 s).
inline constexpr std::chrono::milliseconds kReconnectBackoffMax{1'000};

/// A librdkafka client configuration. Starts with what every client of the mesh sets:
/// `bootstrap.servers`, `client.id`, Nagle off (small requests go out at once; with Nagle a
/// request written while the previous one is unacknowledged can wait for the broker's delayed
/// ACK, tens of milliseconds), `reconnect.backoff.max.ms` kReconnectBackoffMax (a broker back
/// from an outage is found within a second, not up to 10 s later) and `log_level` 4 (warnings).
/// A setting librdkafka refuses throws std::invalid_argument naming it: the keys are constants,
/// so that is a programming error.
class KafkaConfig {
 public:
  KafkaConfig(std::string_view brokers, std::string_view client_id);
  ~KafkaConfig();
  KafkaConfig(KafkaConfig&&) noexcept;
  KafkaConfig& operator=(KafkaConfig&&) noexcept;

  KafkaConfig& set(std::string_view key, std::string_view value);
  /// What every producer of the mesh sets, in every topology: idempotence (no duplicate and no
  /// reordering from its own retries) and acks=all (a write is acknowledged once every in-sync
  /// replica has it: on a cluster with min.insync.replicas 2, it survives the loss of a broker).
  KafkaConfig& durable_producer();
  /// A setting's current value (librdkafka's spelling, e.g. acks=all reads "-1"); empty when unknown.
  std::string get(std::string_view key) const;
  KafkaConfig& on_delivery(RdKafka::DeliveryReportCb* callback);
  KafkaConfig& on_event(RdKafka::EventCb* callback);
  KafkaConfig& on_rebalance(RdKafka::RebalanceCb* callback);

  /// The clients; a client librdkafka cannot create throws std::runtime_error with its reason.
  /// Their threads get a millisecond of timer slack (kafka.cpp says why).
  std::unique_ptr<RdKafka::Producer> producer() const;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer() const;

 private:
  std::unique_ptr<RdKafka::Conf> conf_;
};

/// True when a metadata request through `client` names at least one broker within `timeout`.
bool broker_reachable(RdKafka::Handle& client, std::chrono::milliseconds timeout);

/// Per partition, the first offset whose timestamp is at or after `timestamp_ms` (-1: the end,
/// where no message is that recent); the special timestamps -1 (latest) and -2 (earliest) give the
/// ends. One ListOffsets request per leader for all of them; an attempt the leader does not answer
/// within 2 s (killed, not yet replaced in the client's metadata) is asked again after a metadata
/// refresh, until `timeout`. Throws std::runtime_error when no answer came within `timeout` or a
/// partition is refused.
std::map<int, long long> offsets_for_time(RdKafka::Handle& client, const std::string& topic,
                                          const std::vector<int>& partitions, long long timestamp_ms,
                                          std::chrono::milliseconds timeout);

/// A partition's low and high watermarks (its first offset, and the offset the next message gets).
struct Watermarks {
  long long low = 0;
  long long high = 0;
};

/// The watermarks of a topic's partitions 0..partitions-1, through offsets_for_time (a leader that
/// died is waited for only until the metadata names its successor, where librdkafka's
/// query_watermark_offsets waits for the dead one up to socket.timeout.ms per partition).
std::map<int, Watermarks> watermarks(RdKafka::Handle& client, const std::string& topic, int partitions,
                                     std::chrono::milliseconds timeout);

/// The newest message of a topic: where it is, when it was written and its headers.
struct NewestMessage {
  int partition = 0;
  long long offset = 0;
  long long timestamp_ms = -1;  // -1 when the message carries none
  std::vector<std::pair<std::string, std::string>> headers;
};

/// What a topic holds now: the messages it retains (high minus low watermark over its partitions)
/// and the newest of them (by timestamp across partitions).
struct TopicEnds {
  long long messages = 0;
  std::optional<NewestMessage> newest;
};

/// Watches the ends of topics (the gateway's mesh view reads the dead-letter topics with it) with
/// one assign-only consumer that joins no group and commits nothing. A partition's last message is
/// fetched again only when its high watermark moved, so a quiet topic costs one ListOffsets each.
class TopicEndsReader {
 public:
  TopicEndsReader(std::string_view brokers, std::string_view client_id, std::chrono::milliseconds timeout);
  ~TopicEndsReader();
  TopicEndsReader(const TopicEndsReader&) = delete;
  TopicEndsReader& operator=(const TopicEndsReader&) = delete;

  /// The ends of `topic`'s partitions 0..partitions-1. Throws std::runtime_error when the broker
  /// does not answer within the timeout or does not know the topic.
  TopicEnds read(const std::string& topic, int partitions);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::events
