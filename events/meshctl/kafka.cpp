#include "kafka.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "shopmesh/events/kafka.hpp"

namespace shopmesh::meshctl {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

events::KafkaConfig base_conf(const std::string& brokers) {
  events::KafkaConfig conf(brokers, "meshctl");
  conf.set("log_level", "2");  // librdkafka's own chatter stays off the terminal; errors reach the user as messages
  return conf;
}

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned long long> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", dist(rd));
  return buf;
}

// Runs one admin request and returns its result event; throws when the broker does not answer.
template <class Call>
EventPtr admin_request(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout, const char* what,
                       Call&& call) {
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(rd_kafka_AdminOptions_new(rk, op));
  char err[512];
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), err, sizeof err);
  call(options.get(), queue.get());
  EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 2000));
  if (!event) throw std::runtime_error(std::string(what) + ": no answer from Kafka");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string(what) + ": " + rd_kafka_event_error_string(event.get()));
  return event;
}

Record to_record(RdKafka::Message& m) {
  Record r;
  r.topic = m.topic_name();
  r.partition = m.partition();
  r.offset = m.offset();
  const auto ts = m.timestamp();
  if (ts.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE && ts.timestamp >= 0)
    r.timestamp_ms = ts.timestamp;
  if (m.key_pointer() != nullptr) r.key.emplace(static_cast<const char*>(m.key_pointer()), m.key_len());
  if (m.payload() != nullptr) r.value.assign(static_cast<const char*>(m.payload()), m.len());
  if (RdKafka::Headers* h = m.headers()) {
    for (const auto& header : h->get_all()) {
      std::string value;
      if (header.value() != nullptr) value.assign(static_cast<const char*>(header.value()), header.value_size());
      r.headers.emplace_back(header.key(), std::move(value));
    }
  }
  return r;
}

}  // namespace

Kafka::Kafka(std::string brokers, std::chrono::milliseconds timeout) : brokers_(std::move(brokers)), timeout_(timeout) {
  handle_ = base_conf(brokers_).producer();
}

Kafka::~Kafka() = default;

bool Kafka::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (events::broker_reachable(*handle_, std::chrono::seconds(1))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Kafka::ensure_topics(const std::vector<events::TopicSpec>& topics, const Replication& replication,
                          std::ostream& out, std::ostream& err_out) {
  rd_kafka_t* rk = handle_->c_ptr();
  std::vector<rd_kafka_NewTopic_t*> requests;
  char err[512];
  const std::string min_insync = std::to_string(replication.min_insync);
  for (const auto& t : topics) {
    auto* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, replication.factor, err, sizeof err);
    if (nt != nullptr && replication.min_insync > 0 &&
        rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", min_insync.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_NewTopic_destroy(nt);
      nt = nullptr;
      std::snprintf(err, sizeof err, "min.insync.replicas %s refused", min_insync.c_str());
    }
    if (nt == nullptr) {
      err_out << "meshctl: topic " << t.name << ": " << err << '\n';
      for (auto* r : requests) rd_kafka_NewTopic_destroy(r);
      return false;
    }
    requests.push_back(nt);
  }
  EventPtr event;
  try {
    event = admin_request(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_, "CreateTopics",
                          [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout_.count()),
                                                                        err, sizeof err);
                            rd_kafka_CreateTopics(rk, requests.data(), requests.size(), options, queue);
                          });
  } catch (const std::exception& e) {
    for (auto* r : requests) rd_kafka_NewTopic_destroy(r);
    err_out << "meshctl: " << e.what() << '\n';
    return false;
  }
  for (auto* r : requests) rd_kafka_NewTopic_destroy(r);
  const auto* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t n = 0;
  const auto** results = rd_kafka_CreateTopics_result_topics(result, &n);
  bool ok = true;
  std::map<std::string, int> replicas;  // of the existing topics, read once when one is met
  for (size_t i = 0; i < n; ++i) {
    const auto code = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out << "created  " << name << '\n';
    } else if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      if (replication.factor > 0 && replicas.empty()) replicas = replica_counts();
      const auto it = replicas.find(name);
      if (replication.factor > 0 && it != replicas.end() && it->second < replication.factor) {
        err_out << "failed   " << name << ": exists with " << it->second << " replica(s), " << replication.factor
                << " asked for (delete it, or the Kafka data, to create it again)\n";
        ok = false;
      } else {
        out << "exists   " << name << '\n';
      }
    } else {
      err_out << "failed   " << name << ": " << rd_kafka_topic_result_error_string(results[i]) << '\n';
      ok = false;
    }
  }
  return ok;
}

std::map<std::string, int> Kafka::replica_counts() {
  RdKafka::Metadata* raw = nullptr;
  const auto rc = handle_->metadata(true, nullptr, &raw, static_cast<int>(timeout_.count()));
  if (rc != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot reach Kafka at " + brokers_ + ": " + RdKafka::err2str(rc));
  std::unique_ptr<RdKafka::Metadata> md(raw);
  std::map<std::string, int> out;
  for (const auto* t : *md->topics()) {
    int fewest = -1;
    for (const auto* p : *t->partitions()) {
      const int n = static_cast<int>(p->replicas()->size());
      fewest = fewest < 0 ? n : std::min(fewest, n);
    }
    out[t->topic()] = fewest;
  }
  return out;
}

std::vector<TopicInfo> Kafka::list_topics() {
  RdKafka::Metadata* raw = nullptr;
  const auto rc = handle_->metadata(true, nullptr, &raw, static_cast<int>(timeout_.count()));
  if (rc != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot reach Kafka at " + brokers_ + ": " + RdKafka::err2str(rc));
  std::unique_ptr<RdKafka::Metadata> md(raw);
  std::vector<TopicInfo> out;
  for (const auto* t : *md->topics()) {
    if (t->topic().rfind("__", 0) == 0 || t->err() != RdKafka::ERR_NO_ERROR) continue;
    out.push_back({t->topic(), static_cast<int>(t->partitions()->size())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

TopicInfo Kafka::require_topic(const std::string& name) {
  for (auto& t : list_topics())
    if (t.name == name) return t;
  throw std::runtime_error("topic '" + name + "' does not exist on " + brokers_ + " (`meshctl topics` lists them)");
}

std::vector<PartitionRange> Kafka::watermarks(const TopicInfo& topic) {
  std::vector<PartitionRange> out;
  for (const auto& [p, m] : events::watermarks(*handle_, topic.name, topic.partitions, timeout_))
    out.push_back({p, m.low, m.high});
  return out;
}

std::map<int, long long> Kafka::offsets_for_time(const TopicInfo& topic, TimePoint t) {
  std::vector<int> partitions;
  for (int p = 0; p < topic.partitions; ++p) partitions.push_back(p);
  return events::offsets_for_time(*handle_, topic.name, partitions, t.time_since_epoch().count(), timeout_);
}

std::vector<std::string> Kafka::list_groups() {
  rd_kafka_t* rk = handle_->c_ptr();
  auto event = admin_request(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_, "ListConsumerGroups",
                             [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                               rd_kafka_ListConsumerGroups(rk, options, queue);
                             });
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event.get());
  size_t n = 0;
  const auto** groups = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
  // Every broker lists the groups it coordinates: while a coordinator moves (a broker fenced or
  // back) two of them list the same group, and DescribeConsumerGroups refuses duplicates.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<GroupInfo> Kafka::describe_groups(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  rd_kafka_t* rk = handle_->c_ptr();
  std::vector<const char*> names;
  for (const auto& id : ids) names.push_back(id.c_str());
  auto event = admin_request(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_, "DescribeConsumerGroups",
                             [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                               rd_kafka_DescribeConsumerGroups(rk, names.data(), names.size(), options, queue);
                             });
  const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event.get());
  size_t n = 0;
  const auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &n);
  std::vector<GroupInfo> out;
  for (size_t i = 0; i < n; ++i) {
    GroupInfo g;
    g.id = rd_kafka_ConsumerGroupDescription_group_id(groups[i]);
    if (const auto* e = rd_kafka_ConsumerGroupDescription_error(groups[i]); e != nullptr)
      g.error = rd_kafka_error_string(e);
    g.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(groups[i]));
    const size_t members = rd_kafka_ConsumerGroupDescription_member_count(groups[i]);
    for (size_t m = 0; m < members; ++m) {
      const auto* member = rd_kafka_ConsumerGroupDescription_member(groups[i], m);
      const char* client = rd_kafka_MemberDescription_client_id(member);
      const char* host = rd_kafka_MemberDescription_host(member);
      const char* instance = rd_kafka_MemberDescription_group_instance_id(member);
      GroupMember& gm =
          g.members.emplace_back(GroupMember{client ? client : "", host ? host : "", instance ? instance : "", {}});
      const auto* assigned = rd_kafka_MemberDescription_assignment(member);
      const auto* list = assigned != nullptr ? rd_kafka_MemberAssignment_partitions(assigned) : nullptr;
      for (int k = 0; list != nullptr && k < list->cnt; ++k)
        gm.assignment.emplace_back(list->elems[k].topic, list->elems[k].partition);
    }
    out.push_back(std::move(g));
  }
  return out;
}

Committed Kafka::committed(const std::string& group, const std::optional<TopicInfo>& topic) {
  rd_kafka_t* rk = handle_->c_ptr();
  PartitionListPtr partitions;
  if (topic) {
    partitions.reset(rd_kafka_topic_partition_list_new(topic->partitions));
    for (int p = 0; p < topic->partitions; ++p)
      rd_kafka_topic_partition_list_add(partitions.get(), topic->name.c_str(), p);
  }
  auto* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), partitions.get());
  EventPtr event;
  try {
    event = admin_request(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_, "ListConsumerGroupOffsets",
                          [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
                          });
  } catch (...) {
    rd_kafka_ListConsumerGroupOffsets_destroy(request);
    throw;
  }
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(event.get());
  size_t n = 0;
  const auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &n);
  Committed out;
  for (size_t i = 0; i < n; ++i) {
    if (const auto* e = rd_kafka_group_result_error(groups[i]); e != nullptr)
      throw std::runtime_error("committed offsets of group '" + group + "': " + rd_kafka_error_string(e));
    const auto* list = rd_kafka_group_result_partitions(groups[i]);
    for (int k = 0; list != nullptr && k < list->cnt; ++k) {
      const auto& tp = list->elems[k];
      out[{tp.topic, tp.partition}] = tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0 ? tp.offset : -1;
    }
  }
  return out;
}

std::vector<OffsetResult> Kafka::alter_committed(const std::string& group, const std::string& topic,
                                                 const std::map<int, long long>& offsets) {
  rd_kafka_t* rk = handle_->c_ptr();
  PartitionListPtr partitions(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [p, offset] : offsets)
    rd_kafka_topic_partition_list_add(partitions.get(), topic.c_str(), p)->offset = offset;
  auto* request = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), partitions.get());
  EventPtr event;
  try {
    event = admin_request(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout_, "AlterConsumerGroupOffsets",
                          [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_AlterConsumerGroupOffsets(rk, &request, 1, options, queue);
                          });
  } catch (...) {
    rd_kafka_AlterConsumerGroupOffsets_destroy(request);
    throw;
  }
  rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  const auto* result = rd_kafka_event_AlterConsumerGroupOffsets_result(event.get());
  size_t n = 0;
  const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &n);
  std::vector<OffsetResult> out;
  for (size_t i = 0; i < n; ++i) {
    std::string group_error;
    if (const auto* e = rd_kafka_group_result_error(groups[i]); e != nullptr) group_error = rd_kafka_error_string(e);
    const auto* list = rd_kafka_group_result_partitions(groups[i]);
    for (int k = 0; list != nullptr && k < list->cnt; ++k) {
      const auto& tp = list->elems[k];
      OffsetResult r{tp.partition, tp.offset, group_error};
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) r.error = rd_kafka_err2str(tp.err);
      out.push_back(r);
    }
    if ((list == nullptr || list->cnt == 0) && !group_error.empty()) out.push_back({-1, -1, group_error});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return out;
}

void read_ranges(const std::string& brokers, const std::vector<ReadRange>& ranges, const ReadOptions& options,
                 const std::function<bool(Record&&, bool live)>& on_record, const std::function<void()>& on_caught_up) {
  struct State {
    long long end;
    bool done;
  };
  std::map<std::pair<std::string, int>, State> state;
  std::vector<RdKafka::TopicPartition*> assignment;
  for (const auto& r : ranges) {
    const bool empty = r.end >= 0 && r.start >= r.end;
    state[{r.topic, r.partition}] = {r.end, empty};
    if (!empty || options.follow) assignment.push_back(RdKafka::TopicPartition::create(r.topic, r.partition, r.start));
  }
  auto all_done = [&] { return std::all_of(state.begin(), state.end(), [](const auto& s) { return s.second.done; }); };
  if (assignment.empty()) {
    if (on_caught_up) on_caught_up();
    return;
  }

  auto conf = base_conf(brokers);
  // A throw-away group id: the reader only assigns partitions, never subscribes or commits, so
  // the broker never sees a group and no one's offsets move.
  for (const auto& [k, v] : std::map<std::string, std::string>{{"group.id", "meshctl-reader-" + random_suffix()},
                                                               {"enable.auto.commit", "false"},
                                                               {"enable.auto.offset.store", "false"},
                                                               {"enable.partition.eof", "true"},
                                                               {"auto.offset.reset", "earliest"},
                                                               {"fetch.wait.max.ms", "100"}})
    conf.set(k, v);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = conf.consumer();
  const auto rc = consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (rc != RdKafka::ERR_NO_ERROR) throw std::runtime_error("assign: " + RdKafka::err2str(rc));

  bool caught_up = false;
  auto last_progress = std::chrono::steady_clock::now();
  std::string last_error;
  while (options.stop == nullptr || !options.stop->load()) {
    if (!caught_up && all_done()) {
      caught_up = true;
      if (on_caught_up) on_caught_up();
      if (!options.follow) break;
    }
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    const auto code = m->err();
    if (code == RdKafka::ERR_NO_ERROR) {
      auto& s = state[{m->topic_name(), m->partition()}];
      const bool live = s.end >= 0 && m->offset() >= s.end;
      if (!live && s.end >= 0 && m->offset() + 1 >= s.end) s.done = true;
      last_progress = std::chrono::steady_clock::now();
      if (live && !options.follow) {
        s.done = true;
        continue;
      }
      if (!on_record(to_record(*m), live)) break;
    } else if (code == RdKafka::ERR__PARTITION_EOF) {
      state[{m->topic_name(), m->partition()}].done = true;
      last_progress = std::chrono::steady_clock::now();
    } else if (code == RdKafka::ERR__TIMED_OUT) {
      if (!caught_up && std::chrono::steady_clock::now() - last_progress > options.idle_timeout) {
        std::string pending;
        for (const auto& [tp, s] : state)
          if (!s.done) pending += (pending.empty() ? "" : ", ") + tp.first + "[" + std::to_string(tp.second) + "]";
        consumer->close();
        throw std::runtime_error("reading from " + brokers + " timed out (no progress for " +
                                 std::to_string(options.idle_timeout.count()) + " ms on " + pending + ")" +
                                 (last_error.empty() ? "" : ": " + last_error));
      }
    } else if (code == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || code == RdKafka::ERR__UNKNOWN_TOPIC ||
               code == RdKafka::ERR__UNKNOWN_PARTITION || code == RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED) {
      consumer->close();
      throw std::runtime_error(m->errstr());
    } else {
      last_error = m->errstr();  // transient (transport, leader change): retried by librdkafka
    }
  }
  consumer->close();
}

namespace {

class DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryReports(std::vector<Sent>& results) : results_(results) {}
  void dr_cb(RdKafka::Message& m) override {
    const auto index = reinterpret_cast<std::uintptr_t>(m.msg_opaque());
    Sent& s = results_.at(index);
    s.ok = m.err() == RdKafka::ERR_NO_ERROR;
    s.error = s.ok ? "" : m.errstr();
    s.partition = m.partition();
    s.offset = m.offset();
    ++done;
  }
  std::size_t done = 0;

 private:
  std::vector<Sent>& results_;
};

}  // namespace

std::vector<Sent> publish(const std::string& brokers, const std::vector<Outgoing>& messages,
                          std::chrono::milliseconds timeout) {
  std::vector<Sent> results(messages.size());
  if (messages.empty()) return results;
  DeliveryReports reports(results);
  auto conf = base_conf(brokers);
  conf.durable_producer().set("linger.ms", "5").set("delivery.timeout.ms", std::to_string(timeout.count()));
  std::unique_ptr<RdKafka::Producer> producer = conf.on_delivery(&reports).producer();

  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    while (true) {
      auto* headers = RdKafka::Headers::create();
      for (const auto& [k, v] : m.headers) headers->add(k, v.data(), v.size());
      const auto rc = producer->produce(m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                        const_cast<char*>(m.value.data()), m.value.size(),
                                        m.key ? m.key->data() : nullptr, m.key ? m.key->size() : 0, 0, headers,
                                        reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
      if (rc == RdKafka::ERR_NO_ERROR) break;
      delete headers;  // not taken over on failure
      if (rc == RdKafka::ERR__QUEUE_FULL) {
        producer->poll(100);
        continue;
      }
      results[i].error = RdKafka::err2str(rc);
      ++reports.done;
      break;
    }
    producer->poll(0);
  }
  producer->flush(static_cast<int>(timeout.count()) + 5000);
  if (reports.done < messages.size()) {
    producer->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer->poll(500);
  }
  for (auto& r : results)
    if (!r.ok && r.error.empty()) r.error = "no delivery report within the timeout";
  return results;
}

}  // namespace shopmesh::meshctl
