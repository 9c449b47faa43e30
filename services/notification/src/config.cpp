#include "shopmesh/notification/config.hpp"

#include "shopmesh/core/config.hpp"

namespace shopmesh::notification {

NotificationConfig NotificationConfig::from_env(core::EnvReader& env) {
  using std::chrono::milliseconds;
  NotificationConfig c;
  c.group = env.str("NOTIFICATION_GROUP", "notification");
  c.smtp_url = env.str("SMTP_URL", "");
  if (!c.smtp_url.empty() && c.smtp_url.rfind("smtp://", 0) != 0 && c.smtp_url.rfind("smtps://", 0) != 0)
    env.fail("SMTP_URL", "must start with smtp:// or smtps://");
  const std::string from = env.str("NOTIFY_FROM", "Shopmesh <no-reply@shopmesh.local>");
  if (auto mailbox = parse_mailbox(from))
    c.from = *mailbox;
  else
    env.fail("NOTIFY_FROM", "must be an address like 'Shopmesh <no-reply@example.com>', got '" + from + "'");
  c.smtp_timeout = env.millis("SMTP_TIMEOUT_MS", milliseconds{10'000}, milliseconds{100}, milliseconds{300'000});
  c.max_attempts = static_cast<int>(env.integer("NOTIFY_MAX_ATTEMPTS", 8, 1, 100));
  c.backoff_initial =
      env.millis("NOTIFY_BACKOFF_INITIAL_MS", milliseconds{1'000}, milliseconds{10}, milliseconds{3'600'000});
  c.backoff_max =
      env.millis("NOTIFY_BACKOFF_MAX_MS", milliseconds{300'000}, milliseconds{10}, milliseconds{86'400'000});
  if (c.backoff_max < c.backoff_initial) env.fail("NOTIFY_BACKOFF_MAX_MS", "must be >= NOTIFY_BACKOFF_INITIAL_MS");
  return c;
}

}  // namespace shopmesh::notification
