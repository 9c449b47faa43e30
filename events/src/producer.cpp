#include "shopmesh/events/producer.hpp"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include "shopmesh/core/log.hpp"
#include "shopmesh/events/kafka.hpp"

namespace shopmesh::events {

namespace {

// Each queued message carries its completion callback as the opaque pointer.
using Callback = std::function<void(const Delivery&)>;

class ReportCallback : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& m) override {
    std::unique_ptr<Callback> cb(static_cast<Callback*>(m.msg_opaque()));
    if (!cb) return;
    Delivery d;
    d.ok = m.err() == RdKafka::ERR_NO_ERROR;
    if (!d.ok) d.error = m.errstr();
    d.partition = m.partition();
    d.offset = m.offset();
    (*cb)(d);
  }
};

class ErrorCallback : public RdKafka::EventCb {
 public:
  explicit ErrorCallback(core::Logger& log) : log_(log) {}
  void event_cb(RdKafka::Event& e) override {
    if (e.type() != RdKafka::Event::EVENT_ERROR) return;
    if (e.fatal()) fatal = true;
    log_.warn("kafka producer error", {{"error", e.str()}, {"fatal", e.fatal() ? "true" : "false"}});
  }
  std::atomic<bool> fatal{false};

 private:
  core::Logger& log_;
};

}  // namespace

struct Producer::Reports {
  explicit Reports(core::Logger& log) : errors(log) {}
  ReportCallback delivery;
  ErrorCallback errors;
};

Producer::Producer(ProducerOptions options, core::Logger& log) : options_(std::move(options)), log_(log) { create(); }

Producer::~Producer() {
  if (producer_) {
    producer_->flush(5000);
    drain();  // run the purged messages' callbacks so nothing leaks
  }
  producer_.reset();
  for (int fd : ready_pipe_)
    if (fd >= 0) ::close(fd);
}

// librdkafka writes a byte to the pipe when its main queue (delivery reports, errors) turns
// non-empty.
void Producer::enable_ready_events() {
  rd_kafka_queue_t* main = rd_kafka_queue_get_main(producer_->c_ptr());
  static const char kByte = 1;
  rd_kafka_queue_io_event_enable(main, ready_pipe_[1], &kByte, 1);
  rd_kafka_queue_destroy(main);
}

int Producer::ready_fd() {
  if (ready_pipe_[0] < 0) {
    if (::pipe2(ready_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("kafka producer: pipe failed");
    enable_ready_events();
  }
  return ready_pipe_[0];
}

void Producer::clear_ready() {
  char buf[64];
  while (::read(ready_pipe_[0], buf, sizeof buf) > 0) {
  }
}

void Producer::create() {
  reports_ = std::make_unique<Reports>(log_);
  KafkaConfig conf(options_.brokers, options_.client_id);
  conf.durable_producer();
  // A failed message must not be overtaken by a later one of the same partition (same key):
  // gapless makes such a gap a fatal error, and recreate_if_fatal() resends from the outbox.
  conf.set("enable.gapless.guarantee", "true");
  conf.set("linger.ms", std::to_string(options_.linger.count()));
  conf.set("delivery.timeout.ms", std::to_string(options_.delivery_timeout.count()));
  conf.on_delivery(&reports_->delivery).on_event(&reports_->errors);
  producer_ = conf.producer();
  if (ready_pipe_[0] >= 0) enable_ready_events();
}

void Producer::recreate_if_fatal() {
  std::string reason;
  if (!reports_->errors.fatal && producer_->fatal_error(reason) == RdKafka::ERR_NO_ERROR) return;
  log_.warn("kafka producer fatal error: recreating it", {{"error", reason}});
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->poll(0);  // failed deliveries are reported to their callbacks; the outbox retries them
  producer_.reset();
  create();
  ++recreations_;
}

std::vector<std::pair<std::string, std::string>> envelope_headers(const Envelope& e) {
  std::vector<std::pair<std::string, std::string>> h{
      {"event-type", e.type}, {"event-version", std::to_string(e.version)}, {"event-id", e.id}};
  if (!e.traceparent.empty()) h.emplace_back("traceparent", e.traceparent);
  h.emplace_back("content-type", "application/json");
  return h;
}

bool Producer::send(const std::string& topic, const std::string& key, const std::string& value,
                    const HeaderList& header_list, std::function<void(const Delivery&)> done) {
  recreate_if_fatal();
  auto* headers = RdKafka::Headers::create();
  for (const auto& [k, v] : header_list) headers->add(k, v);
  auto* cb = new Callback(std::move(done));
  auto rc = producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                               const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, headers, cb);
  if (rc != RdKafka::ERR_NO_ERROR) {
    delete headers;  // not taken over on failure
    delete cb;
    log_.warn("kafka produce failed", {{"topic", topic}, {"error", RdKafka::err2str(rc)}});
    return false;
  }
  return true;
}

void Producer::poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
  recreate_if_fatal();
}

void Producer::drain() {
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  for (int i = 0; i < 500 && producer_->outq_len() > 0; ++i) producer_->poll(10);
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  auto rc = producer_->flush(static_cast<int>(timeout.count()));
  recreate_if_fatal();
  return rc == RdKafka::ERR_NO_ERROR;
}

}  // namespace shopmesh::events
