#pragma once
// PostgreSQL access of the notification service: the users projection, notifications recorded by
// the consumer, the sender's claims and outcomes (NOTIFICATION_SENT through the outbox), and lists.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "shopmesh/events/outbox.hpp"
#include "shopmesh/notification/listing.hpp"
#include "shopmesh/notification/messages.hpp"

namespace shopmesh::core {
class PgPool;
}

namespace shopmesh::notification {

/// The topic of NOTIFICATION_SENT (key userId).
inline constexpr std::string_view kNotificationTopic = "notification.events";

/// The event behind a notification: its id (causation of NOTIFICATION_SENT) and flow.
struct Cause {
  std::string event_id;
  std::string correlation_id;
  std::string traceparent;
};

/// An e-mail claimed by the sender for one attempt.
struct PendingEmail {
  std::string id;
  std::string user_id;
  std::string type;
  std::optional<std::string> order_id;
  std::string subject;
  std::string body;
  int attempts = 0;  // including this one
  Cause cause;
  std::optional<std::string> recipient;  // the user's address; none while the user is unknown
  bool recipient_deleted = false;
};

class NotificationStore {
 public:
  NotificationStore(core::PgPool& db, events::Outbox outbox, Channel channel)
      : db_(db), outbox_(std::move(outbox)), channel_(channel) {}

  Channel channel() const { return channel_; }

  // Effects of consumed events, inside the consumer's transaction `tx`.

  void remember_user(pqxx::work& tx, const std::string& user_id, const std::string& email, const std::string& name);
  void forget_user(pqxx::work& tx, const std::string& user_id);
  /// The names of these users (those the service knows; keyed as given), in one statement.
  std::map<std::string, std::string> names_of(pqxx::work& tx, const std::vector<std::string>& user_ids);
  struct Recording {
    Draft draft;
    Cause cause;
  };
  /// Records each notification once per (event, user), in one statement. In-app ones are
  /// delivered by being recorded (NOTIFICATION_SENT in the same transaction); e-mails wait for the
  /// sender. Returns how many were new.
  std::size_t record(pqxx::work& tx, const std::vector<Recording>& notifications);

  // The sender: outside the consumer's transactions, on its own thread.

  /// Claims up to `limit` due e-mails for one attempt each; a claim lapses after `lease`.
  std::vector<PendingEmail> claim(std::size_t limit, std::chrono::milliseconds lease);
  /// Marks an e-mail delivered and publishes NOTIFICATION_SENT.
  void delivered(const PendingEmail& email);
  /// Records a failed attempt: retried after `retry_in`, or given up when `give_up`.
  void attempt_failed(const PendingEmail& email, const std::string& error, bool give_up,
                      std::chrono::milliseconds retry_in);

  // HTTP.

  Page list(const std::string& user_id, const ListQuery& query);

 private:
  void publish_sent(pqxx::work& tx, const std::string& id, const std::string& user_id, const std::string& type,
                    const std::optional<std::string>& order_id, const std::string& sent_at, const Cause& cause);

  core::PgPool& db_;
  events::Outbox outbox_;
  Channel channel_;
};

}  // namespace shopmesh::notification
