#pragma once
// The topic catalogue (contracts/topics.json): topics with partition counts and the services
// that publish to them, consumer groups, and the dead-letter topic each group gets.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::events {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

struct ConsumerGroupSpec {
  std::string group;
  std::vector<std::string> topics;
};

struct TopicCatalogue {
  std::vector<TopicSpec> topics;
  std::vector<ConsumerGroupSpec> consumers;
  std::map<std::string, std::vector<std::string>> producers;  // topic -> services whose outbox publishes to it
  int dlq_partitions = 1;

  /// Parses contracts/topics.json; throws std::runtime_error naming the bad entry.
  static TopicCatalogue parse(std::string_view json);
  /// Every topic to create: the event topics and one `<topic>.<group>.dlq` per group and topic.
  std::vector<TopicSpec> all_topics() const;
};

/// The dead-letter topic of a consumer group for a source topic.
std::string dlq_topic(std::string_view topic, std::string_view group);

}  // namespace shopmesh::events

namespace shopmesh::events::topic {
inline constexpr std::string_view identity = "identity.events";  // key: userId
inline constexpr std::string_view catalog = "catalog.events";    // key: productId
inline constexpr std::string_view order = "order.events";        // key: orderId
inline constexpr std::string_view stock = "stock.events";        // key: orderId (reservations), productId (levels)
inline constexpr std::string_view shipping = "shipping.events";  // key: orderId
}  // namespace shopmesh::events::topic
