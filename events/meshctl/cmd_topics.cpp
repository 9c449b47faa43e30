// meshctl topics: every topic with partitions and end offsets, and under it each consumer group
// that has committed offsets on it or members consuming it, with its state, members and lag.
#include <cstdio>
#include <map>
#include <set>

#include "commands.hpp"
#include "kafka.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {
namespace {

struct GroupOnTopic {
  const GroupInfo* info = nullptr;
  std::string id;
  std::map<int, long long> committed;  // partition → offset, -1 none
};

std::string state_text(const GroupInfo* g) {
  if (g == nullptr) return "?";
  const auto n = g->members.size();
  return g->state + ", " + std::to_string(n) + (n == 1 ? " member" : " members");
}

}  // namespace

int run_topics(Context& ctx, const TopicsOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  std::vector<TopicInfo> topics = kafka.list_topics();
  if (!o.topics.empty()) {
    std::vector<TopicInfo> chosen;
    for (const auto& name : o.topics) {
      bool found = false;
      for (const auto& t : topics)
        if (t.name == name) chosen.push_back(t), found = true;
      if (!found) throw std::runtime_error("topic '" + name + "' does not exist on " + ctx.brokers);
    }
    topics = std::move(chosen);
  }
  const auto group_ids = kafka.list_groups();
  const auto described = kafka.describe_groups(group_ids);
  std::map<std::string, const GroupInfo*> info;
  for (const auto& g : described) info[g.id] = &g;
  // topic → group → committed offsets
  std::map<std::string, std::map<std::string, GroupOnTopic>> by_topic;
  for (const auto& id : group_ids) {
    Committed committed;
    try {
      committed = kafka.committed(id, std::nullopt);
    } catch (const std::exception& e) {  // one group's coordinator hiccup should not hide the rest
      ctx.err << "meshctl: warning: " << e.what() << '\n';
      continue;
    }
    for (const auto& [tp, offset] : committed) {
      auto& g = by_topic[tp.first][id];
      g.id = id;
      g.info = info.count(id) ? info[id] : nullptr;
      g.committed[tp.second] = offset;
    }
  }
  // A group consuming a topic it has committed nothing on yet (nothing published there) is listed too.
  for (const auto& g : described)
    for (const auto& member : g.members)
      for (const auto& [topic, partition] : member.assignment) {
        auto& on_topic = by_topic[topic][g.id];
        on_topic.id = g.id;
        on_topic.info = &g;
      }

  if (!o.json)
    ctx.out << ctx.style.bold(
                   fmt("%-48s %10s %12s %10s", "TOPIC / consumer group", "PARTITIONS", "END OFFSETS", "MESSAGES"))
            << '\n';
  for (const auto& t : topics) {
    const auto marks = kafka.watermarks(t);
    long long end = 0, messages = 0;
    for (const auto& m : marks) end += m.high, messages += m.high - m.low;
    const auto& groups = by_topic[t.name];
    if (o.json) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      w.Key("topic");
      write_string(w, t.name);
      w.Key("partitions");
      w.Int(t.partitions);
      w.Key("endOffsets");
      w.Int64(end);
      w.Key("messages");
      w.Int64(messages);
      w.Key("partitionOffsets");
      w.StartArray();
      for (const auto& m : marks) {
        w.StartObject();
        w.Key("partition");
        w.Int(m.partition);
        w.Key("low");
        w.Int64(m.low);
        w.Key("high");
        w.Int64(m.high);
        w.EndObject();
      }
      w.EndArray();
      w.Key("groups");
      w.StartArray();
      for (const auto& [id, g] : groups) {
        long long total_lag = 0, committed_sum = 0;
        w.StartObject();
        w.Key("group");
        write_string(w, id);
        w.Key("state");
        write_string(w, g.info ? g.info->state : "Unknown");
        w.Key("members");
        w.Int(g.info ? static_cast<int>(g.info->members.size()) : 0);
        // Who consumes which of this topic's partitions: a group spread over instances shows each.
        w.Key("assignment");
        w.StartArray();
        for (const auto& member : g.info ? g.info->members : std::vector<GroupMember>{}) {
          w.StartObject();
          w.Key("member");
          write_string(w, member.instance_id.empty() ? member.client_id : member.instance_id);
          w.Key("static");
          w.Bool(!member.instance_id.empty());
          w.Key("partitions");
          w.StartArray();
          for (const auto& [topic, partition] : member.assignment)
            if (topic == t.name) w.Int(partition);
          w.EndArray();
          w.EndObject();
        }
        w.EndArray();
        w.Key("partitions");
        w.StartArray();
        for (const auto& m : marks) {
          const auto c = g.committed.count(m.partition) ? g.committed.at(m.partition) : -1;
          const auto l = lag(m.high, c);
          if (l) total_lag += *l, committed_sum += c;
          w.StartObject();
          w.Key("partition");
          w.Int(m.partition);
          w.Key("committed");
          if (c >= 0)
            w.Int64(c);
          else
            w.Null();
          w.Key("lag");
          if (l)
            w.Int64(*l);
          else
            w.Null();
          w.EndObject();
        }
        w.EndArray();
        w.Key("committed");
        w.Int64(committed_sum);
        w.Key("lag");
        w.Int64(total_lag);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
      continue;
    }
    ctx.out << fmt("%-48s %10d %12lld %10lld", t.name.c_str(), t.partitions, end, messages) << '\n';
    if (o.partitions)
      for (const auto& m : marks)
        ctx.out << ctx.style.dim(fmt("    [%d] offsets %lld..%lld", m.partition, m.low, m.high)) << '\n';
    for (const auto& [id, g] : groups) {
      long long total_lag = 0;
      int uncommitted = 0;
      for (const auto& m : marks) {
        const auto c = g.committed.count(m.partition) ? g.committed.at(m.partition) : -1;
        if (auto l = lag(m.high, c))
          total_lag += *l;
        else if (m.high > m.low)
          ++uncommitted;  // messages the group has never committed past
      }
      std::string lag_text = "lag " + std::to_string(total_lag);
      lag_text = total_lag > 0 ? ctx.style.warn(lag_text) : ctx.style.ok(lag_text);
      ctx.out << "  group " << fmt("%-40s", id.c_str()) << " " << lag_text << "  (" << state_text(g.info) << ")";
      if (uncommitted > 0)
        ctx.out << ctx.style.dim("  " + std::to_string(uncommitted) +
                                 " partition(s) with messages but no committed offset");
      ctx.out << '\n';
      if (o.partitions)
        for (const auto& m : marks) {
          const auto c = g.committed.count(m.partition) ? g.committed.at(m.partition) : -1;
          const auto l = lag(m.high, c);
          ctx.out << ctx.style.dim(fmt("    [%d] committed %s lag %s", m.partition,
                                       c >= 0 ? std::to_string(c).c_str() : "-", l ? std::to_string(*l).c_str() : "-"))
                  << '\n';
        }
    }
  }
  return 0;
}

}  // namespace shopmesh::meshctl
