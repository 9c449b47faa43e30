#include "shopmesh/notification/sender.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <pqxx/pqxx>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/stop_flag.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/notification/smtp.hpp"
#include "shopmesh/notification/store.hpp"

namespace shopmesh::notification {
namespace {

class WakeOnNotify : public pqxx::notification_receiver {
 public:
  WakeOnNotify(pqxx::connection_base& c, bool& flag) : pqxx::notification_receiver(c, "notifications"), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  bool& flag_;
};

constexpr std::size_t kBatch = 20;
constexpr std::chrono::milliseconds kFallbackPoll{1'000};

}  // namespace

std::chrono::milliseconds retry_delay(int attempts, std::chrono::milliseconds initial, std::chrono::milliseconds max) {
  std::chrono::milliseconds d = initial;
  for (int i = 1; i < attempts && d < max; ++i) d *= 2;
  return std::min(d, max);
}

struct EmailSender::Impl {
  Impl(std::string url, NotificationConfig c, NotificationStore& s, core::Logger& l, prometheus::Registry& registry)
      : database_url(std::move(url)),
        config(std::move(c)),
        store(s),
        log(l),
        outcomes(prometheus::BuildCounter()
                     .Name("notification_emails_total")
                     .Help("E-mail delivery attempts by outcome (sent, retry, failed)")
                     .Register(registry)),
        sent(outcomes.Add({{"outcome", "sent"}})),
        retried(outcomes.Add({{"outcome", "retry"}})),
        failed(outcomes.Add({{"outcome", "failed"}})) {}

  void run();
  // Sends what is due; true when a full batch was claimed (more may be waiting).
  bool send_due(SmtpClient& smtp);
  void deliver(SmtpClient& smtp, const PendingEmail& email);

  std::string database_url;
  NotificationConfig config;
  NotificationStore& store;
  core::Logger& log;
  prometheus::Family<prometheus::Counter>& outcomes;
  prometheus::Counter& sent;
  prometheus::Counter& retried;
  prometheus::Counter& failed;
  std::thread thread;
  core::StopFlag stopping;
};

void EmailSender::Impl::deliver(SmtpClient& smtp, const PendingEmail& email) {
  std::string error;
  bool permanent = false;
  if (email.recipient_deleted) {
    error = "the user was deleted";
    permanent = true;
  } else if (!email.recipient) {
    error = "the user's e-mail address is not known yet";  // USER_REGISTERED may still be on its way
  } else {
    MailMessage m;
    m.from = config.from;
    m.to = {"", *email.recipient};
    m.subject = email.subject;
    m.body = email.body;
    m.message_id = email.id + "@" + config.from.address.substr(config.from.address.find('@') + 1);
    m.date = rfc5322_date(std::chrono::system_clock::now());
    const SmtpResult result = smtp.send(config.from.address, *email.recipient, build_message(m));
    if (result.ok) {
      store.delivered(email);
      sent.Increment();
      log.debug("e-mail sent", {{"notificationId", email.id}, {"type", email.type}});
      return;
    }
    error = result.error;
    permanent = result.permanent;
  }
  const bool give_up = permanent || email.attempts >= config.max_attempts;
  store.attempt_failed(email, error, give_up, retry_delay(email.attempts, config.backoff_initial, config.backoff_max));
  (give_up ? failed : retried).Increment();
  log.warn(
      give_up ? "e-mail given up" : "e-mail delivery failed; will retry",
      {{"notificationId", email.id}, core::num("attempt", static_cast<long long>(email.attempts)), {"error", error}});
}

bool EmailSender::Impl::send_due(SmtpClient& smtp) {
  // The lease outlasts one SMTP attempt per e-mail of the batch, so a live claim never lapses.
  const auto lease = config.smtp_timeout * static_cast<long>(kBatch) + std::chrono::seconds(30);
  const auto batch = store.claim(kBatch, lease);
  for (const auto& email : batch) {
    if (stopping) break;  // the rest is claimed until the lease lapses, then retried
    deliver(smtp, email);
  }
  return batch.size() == kBatch;
}

void EmailSender::Impl::run() {
  core::name_this_thread("email-sender");
  SmtpClient smtp(config.smtp_url, config.smtp_timeout);
  std::chrono::milliseconds backoff{100};
  while (!stopping) {
    try {
      pqxx::connection conn(database_url);
      bool notified = true;  // look once at start: e-mails may be waiting from before
      WakeOnNotify listener(conn, notified);
      auto last_look = std::chrono::steady_clock::now();
      log.info("e-mail sender started", {{"smtp", "configured"}});
      backoff = std::chrono::milliseconds{100};
      while (!stopping) {
        if (!notified) {
          conn.await_notification(0, 200'000);  // 200 ms slices keep stop() prompt
          if (!notified && std::chrono::steady_clock::now() - last_look < kFallbackPoll) continue;
        }
        notified = false;
        last_look = std::chrono::steady_clock::now();
        while (!stopping && send_due(smtp)) {
        }
      }
    } catch (const std::exception& e) {
      log.warn("e-mail sender: database problem; retrying", {{"error", e.what()}});
      stopping.wait_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds{5'000});
    }
  }
}

EmailSender::EmailSender(std::string database_url, NotificationConfig config, NotificationStore& store,
                         core::Logger& log, prometheus::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(database_url), std::move(config), store, log, metrics)) {}

EmailSender::~EmailSender() {
  stop();
}

void EmailSender::start() {
  impl_->thread = std::thread([this] { impl_->run(); });
}

void EmailSender::stop() {
  impl_->stopping.request();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace shopmesh::notification
