#include "kafka_probe.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <memory>

namespace shopmesh::gateway {

KafkaProbe::KafkaProbe(std::string brokers) : brokers_(std::move(brokers)), thread_([this] { loop(); }) {}

KafkaProbe::~KafkaProbe() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void KafkaProbe::loop() {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers_, err);
  conf->set("client.id", "shopmesh-gateway-health", err);
  conf->set("log_level", "3", err);
  std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf.get(), err));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    bool ok = false;
    if (client) {
      RdKafka::Metadata* md = nullptr;
      ok = client->metadata(false, nullptr, &md, 2000) == RdKafka::ERR_NO_ERROR && md != nullptr &&
           !md->brokers()->empty();
      delete md;
    }
    healthy_.store(ok, std::memory_order_relaxed);
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(ok ? 5 : 1), [this] { return stopping_; });
  }
}

}  // namespace shopmesh::gateway
