#include "shopmesh/notification/store.hpp"

#include "shopmesh/contracts/notification_sent_v1.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/notification/queries.hpp"

namespace shopmesh::notification {

void NotificationStore::remember_user(pqxx::work& tx, const std::string& user_id, const std::string& email,
                                      const std::string& name) {
  core::exec(tx, queries::remember_user(), user_id, email, name);
}

void NotificationStore::forget_user(pqxx::work& tx, const std::string& user_id) {
  core::exec(tx, queries::forget_user(), user_id);
}

std::map<std::string, std::string> NotificationStore::names_of(pqxx::work& tx,
                                                               const std::vector<std::string>& user_ids) {
  std::map<std::string, std::string> names;
  for (const auto& row :
       core::exec(tx, queries::user_names(),
                  core::array_literal(user_ids, [](const std::string& id) -> const std::string& { return id; })))
    names[row[0].as<std::string>()] = row[1].as<std::string>();
  return names;
}

void NotificationStore::publish_sent(pqxx::work& tx, const std::string& id, const std::string& user_id,
                                     const std::string& type, const std::optional<std::string>& order_id,
                                     const std::string& sent_at, const Cause& cause) {
  contracts::NotificationSentV1 e;
  e.notification_id = {id};
  e.user_id = {user_id};
  e.type = type;
  e.channel = channel_ == Channel::email ? contracts::NotificationSentV1Channel::kEmail
                                         : contracts::NotificationSentV1Channel::kInApp;
  if (order_id) e.order_id = contracts::Uuid{*order_id};
  e.sent_at = sent_at;
  outbox_.add(tx, kNotificationTopic, user_id, e, {cause.correlation_id, cause.event_id, cause.traceparent});
}

std::size_t NotificationStore::record(pqxx::work& tx, const std::vector<Recording>& notifications) {
  const bool in_app = channel_ == Channel::in_app;
  std::vector<std::string> ids;
  core::ArrayLiteral id, event_id, user_id, type, subject, body, order_id, correlation_id, traceparent;
  for (const auto& [d, cause] : notifications) {
    ids.push_back(core::uuid_v7());
    id.add(ids.back());
    event_id.add(cause.event_id);
    user_id.add(d.user_id);
    type.add(d.type);
    subject.add(d.subject);
    body.add(d.body);
    d.order_id ? order_id.add(*d.order_id) : order_id.add_null();
    correlation_id.add(cause.correlation_id);
    cause.traceparent.empty() ? traceparent.add_null() : traceparent.add(cause.traceparent);
  }
  auto rows = core::exec(tx, queries::record_notifications(), id.str(), event_id.str(), user_id.str(), type.str(),
                         subject.str(), body.str(), order_id.str(), correlation_id.str(), traceparent.str(),
                         std::string(to_string(channel_)), in_app);
  if (in_app) {
    std::map<std::string, std::string> sent_at;  // the new ones: id -> delivered_at
    for (const auto& row : rows) sent_at[row[0].as<std::string>()] = row[1].as<std::string>();
    for (std::size_t i = 0; i < notifications.size(); ++i)  // in the order of their events
      if (auto it = sent_at.find(ids[i]); it != sent_at.end()) {
        const auto& [d, cause] = notifications[i];
        publish_sent(tx, ids[i], d.user_id, d.type, d.order_id, it->second, cause);
      }
  }
  return rows.size();
}

std::vector<PendingEmail> NotificationStore::claim(std::size_t limit, std::chrono::milliseconds lease) {
  return db_.transact([&](pqxx::work& tx) {
    auto rows = core::exec(tx, queries::claim_emails(), static_cast<long long>(limit),
                           static_cast<double>(lease.count()) / 1000.0);
    std::vector<PendingEmail> out;
    for (const auto& r : rows) {
      PendingEmail p;
      p.id = r[0].as<std::string>();
      p.user_id = r[1].as<std::string>();
      p.type = r[2].as<std::string>();
      if (!r[3].is_null()) p.order_id = r[3].as<std::string>();
      p.subject = r[4].as<std::string>();
      p.body = r[5].as<std::string>();
      p.attempts = r[6].as<int>();
      p.cause = {r[7].as<std::string>(), r[8].as<std::string>(), r[9].as<std::string>()};
      if (!r[10].is_null()) p.recipient = r[10].as<std::string>();
      p.recipient_deleted = r[11].as<bool>();
      out.push_back(std::move(p));
    }
    return out;
  });
}

void NotificationStore::delivered(const PendingEmail& email) {
  db_.transact([&](pqxx::work& tx) {
    auto r = core::exec(tx, queries::mark_delivered(), email.id);
    if (r.empty()) return;  // delivered by another instance whose claim had lapsed
    publish_sent(tx, email.id, email.user_id, email.type, email.order_id, r[0][0].as<std::string>(), email.cause);
  });
}

void NotificationStore::attempt_failed(const PendingEmail& email, const std::string& error, bool give_up,
                                       std::chrono::milliseconds retry_in) {
  db_.transact([&](pqxx::work& tx) {
    core::exec(tx, queries::record_attempt_failed(), email.id, error.substr(0, 1000),
               static_cast<double>(retry_in.count()) / 1000.0, give_up);
  });
}

Page NotificationStore::list(const std::string& user_id, const ListQuery& q) {
  return db_.transact([&](pqxx::work& tx) {
    Page page;
    page.page = q.page;
    page.limit = q.limit;
    page.total = core::exec1(tx, queries::count_notifications(), user_id, q.type, q.order_id)[0].as<std::int64_t>();
    auto rows = core::exec(tx, queries::list_notifications(), user_id, q.type, q.order_id, q.limit,
                           static_cast<std::int64_t>(q.page - 1) * q.limit);
    for (const auto& r : rows) {
      Notification n;
      n.id = r[0].as<std::string>();
      n.type = r[1].as<std::string>();
      n.channel = r[2].as<std::string>();
      n.subject = r[3].as<std::string>();
      n.body = r[4].as<std::string>();
      if (!r[5].is_null()) n.order_id = r[5].as<std::string>();
      n.created_at = r[6].as<std::string>();
      if (!r[7].is_null()) n.delivered_at = r[7].as<std::string>();
      page.items.push_back(std::move(n));
    }
    return page;
  });
}

}  // namespace shopmesh::notification
