#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <random>
#include <stdexcept>

#include "shopmesh/events/kafka.hpp"

namespace shopmesh::events {
namespace {

std::string reader_group_id() {
  std::random_device rd;
  return "topic-ends-" + std::to_string(rd()) + std::to_string(rd());
}

}  // namespace

struct TopicEndsReader::Impl {
  struct Last {
    long long high = -1;  // the high watermark the cached message was read at
    std::optional<NewestMessage> message;
  };
  std::chrono::milliseconds timeout;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::map<std::pair<std::string, int>, Last> last;

  // Reads the message at `offset` (the partition's last), or nothing when it is gone (compacted,
  // deleted by retention, or an aborted transaction's marker) or does not arrive in time.
  std::optional<NewestMessage> fetch(const std::string& topic, int partition, long long offset) {
    std::vector<RdKafka::TopicPartition*> assignment{RdKafka::TopicPartition::create(topic, partition, offset)};
    const auto rc = consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (rc != RdKafka::ERR_NO_ERROR) throw std::runtime_error("assign " + topic + ": " + RdKafka::err2str(rc));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<NewestMessage> out;
    while (std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() == RdKafka::ERR__PARTITION_EOF) break;
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      if (m->topic_name() != topic || m->partition() != partition || m->offset() < offset) continue;
      NewestMessage n;
      n.partition = partition;
      n.offset = m->offset();
      const auto ts = m->timestamp();
      if (ts.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) n.timestamp_ms = ts.timestamp;
      if (RdKafka::Headers* h = m->headers())
        for (const auto& header : h->get_all())
          n.headers.emplace_back(header.key(), header.value() == nullptr
                                                   ? std::string()
                                                   : std::string(static_cast<const char*>(header.value()),
                                                                 header.value_size()));
      out = std::move(n);
      break;
    }
    consumer->unassign();
    return out;
  }
};

TopicEndsReader::TopicEndsReader(std::string_view brokers, std::string_view client_id,
                                 std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  KafkaConfig conf(brokers, client_id);
  // Assign-only: the group id is never used to join or commit, so the broker never sees a group.
  conf.set("group.id", reader_group_id())
      .set("enable.auto.commit", "false")
      .set("enable.auto.offset.store", "false")
      .set("enable.partition.eof", "true")
      .set("fetch.wait.max.ms", "100");
  impl_->consumer = conf.consumer();
}

TopicEndsReader::~TopicEndsReader() {
  if (impl_ && impl_->consumer) impl_->consumer->close();
}

TopicEnds TopicEndsReader::read(const std::string& topic, int partitions) {
  TopicEnds ends;
  for (const auto& [p, m] : watermarks(*impl_->consumer, topic, partitions, impl_->timeout)) {
    const long long low = m.low, high = m.high;
    ends.messages += high - low;
    auto& last = impl_->last[{topic, p}];
    if (high <= low) {
      last = {high, std::nullopt};
      continue;
    }
    if (last.high != high) {
      auto message = impl_->fetch(topic, p, high - 1);
      if (message) last = {high, std::move(message)};  // else asked again next time
    }
    if (last.message && (!ends.newest || last.message->timestamp_ms > ends.newest->timestamp_ms))
      ends.newest = last.message;
  }
  return ends;
}

}  // namespace shopmesh::events
