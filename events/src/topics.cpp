#include "shopmesh/events/topics.hpp"

#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace shopmesh::events {

std::string dlq_topic(std::string_view topic, std::string_view group) {
  return std::string(topic) + "." + std::string(group) + ".dlq";
}

TopicCatalogue TopicCatalogue::parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    throw std::runtime_error(std::string("topics: invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject() || !doc.HasMember("topics") || !doc["topics"].IsArray())
    throw std::runtime_error("topics: expected an object with a 'topics' array");
  TopicCatalogue c;
  for (const auto& t : doc["topics"].GetArray()) {
    if (!t.IsObject() || !t.HasMember("name") || !t["name"].IsString() || !t.HasMember("partitions") ||
        !t["partitions"].IsInt() || t["partitions"].GetInt() < 1)
      throw std::runtime_error("topics: each topic needs a 'name' and 'partitions' >= 1");
    c.topics.push_back({t["name"].GetString(), t["partitions"].GetInt()});
    if (t.HasMember("producers")) {
      if (!t["producers"].IsArray()) throw std::runtime_error("topics: 'producers' must be an array of service names");
      auto& names = c.producers[t["name"].GetString()];
      for (const auto& name : t["producers"].GetArray()) {
        if (!name.IsString()) throw std::runtime_error("topics: producers must be strings");
        names.emplace_back(name.GetString());
      }
    }
  }
  if (doc.HasMember("consumers") && doc["consumers"].IsArray()) {
    for (const auto& g : doc["consumers"].GetArray()) {
      if (!g.IsObject() || !g.HasMember("group") || !g["group"].IsString() || !g.HasMember("topics") ||
          !g["topics"].IsArray())
        throw std::runtime_error("topics: each consumer needs a 'group' and a 'topics' array");
      ConsumerGroupSpec spec{g["group"].GetString(), {}};
      for (const auto& name : g["topics"].GetArray()) {
        if (!name.IsString()) throw std::runtime_error("topics: consumer topics must be strings");
        spec.topics.emplace_back(name.GetString());
      }
      c.consumers.push_back(std::move(spec));
    }
  }
  if (doc.HasMember("dlq") && doc["dlq"].IsObject() && doc["dlq"].HasMember("partitions") &&
      doc["dlq"]["partitions"].IsInt())
    c.dlq_partitions = doc["dlq"]["partitions"].GetInt();
  return c;
}

std::vector<TopicSpec> TopicCatalogue::all_topics() const {
  std::vector<TopicSpec> out = topics;
  for (const auto& g : consumers)
    for (const auto& t : g.topics) out.push_back({dlq_topic(t, g.group), dlq_partitions});
  return out;
}

}  // namespace shopmesh::events
