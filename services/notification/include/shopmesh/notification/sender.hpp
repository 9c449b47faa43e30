#pragma once
// The e-mail sender: delivers recorded EMAIL notifications over SMTP on its own thread, outside
// any database transaction (a slow server never holds a consumer's transaction, and a consumer
// retry never re-sends). Woken by LISTEN/NOTIFY when a notification is recorded, with a slow
// poll for retries that fall due. A failed attempt is retried with exponential backoff until
// NOTIFY_MAX_ATTEMPTS, then given up (failed_at). A claim is a lease: if the process dies
// mid-send the e-mail is sent again after the lease lapses (at-least-once, as SMTP allows).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "shopmesh/core/service.hpp"
#include "shopmesh/notification/config.hpp"

namespace prometheus {
class Registry;
}

namespace shopmesh::core {
class Logger;
}

namespace shopmesh::notification {

class NotificationStore;

/// The delay before attempt `attempts + 1`: initial × 2^(attempts−1), capped.
std::chrono::milliseconds retry_delay(int attempts, std::chrono::milliseconds initial, std::chrono::milliseconds max);

class EmailSender : public core::Component {
 public:
  EmailSender(std::string database_url, NotificationConfig config, NotificationStore& store, core::Logger& log,
              prometheus::Registry& metrics);
  ~EmailSender() override;

  void start() override;
  void stop() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopmesh::notification
