#pragma once
// Settings of the notification service, read once from the environment at start-up.
#include <chrono>
#include <string>

#include "shopmesh/notification/email.hpp"

namespace shopmesh::core {
class EnvReader;
}

namespace shopmesh::notification {

struct NotificationConfig {
  std::string group;                          // NOTIFICATION_GROUP: the Kafka consumer group
  std::string smtp_url;                       // SMTP_URL: empty = notifications stay in the app
  Mailbox from;                               // NOTIFY_FROM
  std::chrono::milliseconds smtp_timeout;     // SMTP_TIMEOUT_MS: one delivery, connection included
  int max_attempts = 8;                       // NOTIFY_MAX_ATTEMPTS: then the e-mail is given up
  std::chrono::milliseconds backoff_initial;  // NOTIFY_BACKOFF_INITIAL_MS: first retry delay (doubles)
  std::chrono::milliseconds backoff_max;      // NOTIFY_BACKOFF_MAX_MS: retry delay cap

  bool email() const { return !smtp_url.empty(); }

  /// Reads and validates; problems are recorded in `env` (run_service reports them).
  static NotificationConfig from_env(core::EnvReader& env);
};

}  // namespace shopmesh::notification
