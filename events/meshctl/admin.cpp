#include "admin.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

#include <librdkafka/rdkafka.h>

namespace shopmesh::meshctl {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};

}  // namespace

Admin::Admin(const std::string& brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(err);
  }
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk_ == nullptr) throw std::runtime_error(err);
}

Admin::~Admin() { rd_kafka_destroy(rk_); }

bool Admin::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 1, nullptr, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool ok = md->broker_cnt > 0;
      rd_kafka_metadata_destroy(md);
      if (ok) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Admin::ensure_topics(const std::vector<events::TopicSpec>& topics, std::chrono::milliseconds timeout) {
  std::vector<rd_kafka_NewTopic_t*> requests;
  char err[512];
  for (const auto& t : topics) {
    auto* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, 1, err, sizeof err);
    if (nt == nullptr) {
      std::fprintf(stderr, "meshctl: topic %s: %s\n", t.name.c_str(), err);
      for (auto* r : requests) rd_kafka_NewTopic_destroy(r);
      return false;
    }
    requests.push_back(nt);
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk_));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), err, sizeof err);
  rd_kafka_CreateTopics(rk_, requests.data(), requests.size(), options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  for (auto* r : requests) rd_kafka_NewTopic_destroy(r);

  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
  if (!event) {
    std::fprintf(stderr, "meshctl: CreateTopics timed out\n");
    return false;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "meshctl: CreateTopics failed: %s\n", rd_kafka_event_error_string(event.get()));
    return false;
  }
  const auto* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t n = 0;
  const auto** results = rd_kafka_CreateTopics_result_topics(result, &n);
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    const auto code = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::printf("created  %s\n", name);
    } else if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      std::printf("exists   %s\n", name);
    } else {
      std::fprintf(stderr, "failed   %s: %s\n", name, rd_kafka_topic_result_error_string(results[i]));
      ok = false;
    }
  }
  return ok;
}

bool Admin::print_topics(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto rc = rd_kafka_metadata(rk_, 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "meshctl: metadata: %s\n", rd_kafka_err2str(rc));
    return false;
  }
  std::map<std::string, std::pair<int, long long>> rows;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.topic[0] == '_') continue;  // __consumer_offsets and friends
    long long end_total = 0;
    for (int p = 0; p < t.partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_query_watermark_offsets(rk_, t.topic, t.partitions[p].id, &low, &high,
                                           static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR)
        end_total += high;
    }
    rows[t.topic] = {t.partition_cnt, end_total};
  }
  rd_kafka_metadata_destroy(md);
  std::printf("%-48s %10s %12s\n", "TOPIC", "PARTITIONS", "END OFFSETS");
  for (const auto& [name, v] : rows) std::printf("%-48s %10d %12lld\n", name.c_str(), v.first, v.second);
  return true;
}

}  // namespace shopmesh::meshctl
