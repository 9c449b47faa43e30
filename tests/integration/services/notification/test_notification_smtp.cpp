// E-mail delivery over real SMTP: the test starts an SMTP sink (Debian's python3-aiosmtpd, writing
// a Maildir) and its own notification process with SMTP_URL set, against its own database and
// consumer group, so it is independent of the stack's notification instance. Events go to the
// stack's real topics.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "../../saga/mesh_kit.hpp"
#include "bus_fixture.hpp"
#include "notification_events.hpp"
#include "shopmesh/events/topics.hpp"
#include "test_prelude.hpp"

extern char** environ;

namespace kit = testing::kit;
namespace ev = testing::notification_events;
namespace fs = std::filesystem;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// A child process with extra environment variables, its output in a log file; stopped with
// SIGTERM (then SIGKILL) when it goes out of scope.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::map<std::string, std::string>& env, const fs::path& log) {
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv(*e);
      if (!env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> argp, envp;
    for (auto& a : argv) argp.push_back(a.data());
    argp.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argp[0], &actions, nullptr, argp.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(50ms);
    if (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string python() {
  const char* p = std::getenv("SMTP_SINK_PYTHON");  // Debian's python3 has python3-aiosmtpd
  return p != nullptr && *p != '\0' ? p : "/usr/bin/python3";
}

// An SMTP server that stores every message it accepts in a Maildir.
struct SmtpSink {
  SmtpSink(int port, const fs::path& maildir, const fs::path& log)
      : child({python(), "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port), "-c",
               "aiosmtpd.handlers.Mailbox", maildir.string()},
              {}, log) {
    REQUIRE(eventually([&] { return accepts(port); }, 20s));
  }
  Child child;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The messages in the Maildir addressed to `to` whose text contains `needle`.
std::vector<std::string> mails(const fs::path& maildir, const std::string& to, const std::string& needle) {
  std::vector<std::string> out;
  if (!fs::exists(maildir / "new")) return out;
  for (const auto& f : fs::directory_iterator(maildir / "new")) {
    std::string text = slurp(f.path());
    if (text.find("To: <" + to + ">") != std::string::npos && text.find(needle) != std::string::npos)
      out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

TEST_CASE("notification: e-mails go out over SMTP after the consumer's transaction, with retries", "[notification]") {
  const fs::path dir = fs::temp_directory_path() / ("shopmesh-smtp-" + core::uuid_v7());
  fs::create_directories(dir);
  const fs::path maildir = dir / "maildir";
  const int smtp_port = free_port();
  const int http_port = free_port();
  auto sink = std::make_unique<SmtpSink>(smtp_port, maildir, dir / "smtp.log");

  testing::TestDatabase database("it_notification");
  const std::string service_url = "http://127.0.0.1:" + std::to_string(http_port);
  // A new group would read every topic from its first message and e-mail every order of the tests
  // before this one; it starts where the topics end instead.
  const std::string group = "it-notification-" + core::uuid_v7();
  for (auto topic : {events::topic::identity, events::topic::order, events::topic::shipping})
    testing::reset_group_offsets(group, std::string(topic), testing::GroupStart::end);
  Child service({stack_var("SHOPMESH_BUILD_DIR") + "/bin/shopmesh-notification"},
                {{"SERVICE_NAME", "notification"},
                 {"HTTP_HOST", "127.0.0.1"},
                 {"HTTP_PORT", std::to_string(http_port)},
                 {"DATABASE_URL", database.url},
                 {"KAFKA_BROKERS", stack_var("KAFKA_BROKERS")},
                 {"NOTIFICATION_GROUP", group},
                 {"SMTP_URL", "smtp://127.0.0.1:" + std::to_string(smtp_port)},
                 {"NOTIFY_FROM", "Shopmesh Test <it@shopmesh.local>"},
                 {"NOTIFY_BACKOFF_INITIAL_MS", "200"},
                 {"NOTIFY_BACKOFF_MAX_MS", "1000"},
                 {"NOTIFY_MAX_ATTEMPTS", "50"},
                 {"LOG_LEVEL", "warn"}},
                dir / "notification.log");
  REQUIRE(eventually([&] { return kit::http("GET", service_url + "/health").status == 200; }, 60s));
  auto row = [&](const std::string& user, const std::string& type, const char* column) {
    return kit::scalar<std::string>(
        database.url,
        std::string("SELECT ") + column + "::text FROM notifications WHERE user_id = $1::uuid AND type = $2", user,
        type);
  };

  const std::string user = core::uuid_v7();
  const std::string email = "ada-" + user.substr(24) + "@example.com";
  const std::string order = core::uuid_v7();

  SECTION("a registered user gets the welcome and the order e-mails; NOTIFICATION_SENT follows") {
    ev::publish_user_registered(user, email, "Ada");
    REQUIRE(eventually([&] { return mails(maildir, email, "Subject: Welcome to Shopmesh, Ada").size() == 1; }, 60s));
    ev::publish_order_confirmed(order, user);
    REQUIRE(eventually(
        [&] { return mails(maildir, email, "Subject: Your order " + order + " was confirmed").size() == 1; }, 60s));
    const std::string mail = mails(maildir, email, "was confirmed")[0];
    CHECK(mail.find("From: \"Shopmesh Test\" <it@shopmesh.local>") != std::string::npos);
    CHECK(mail.find("Hi Ada,") != std::string::npos);
    CHECK(mail.find("Message-ID: <") != std::string::npos);

    REQUIRE(eventually([&] { return row(user, "ORDER_CONFIRMED", "delivered_at").has_value(); }, 20s));
    CHECK(row(user, "ORDER_CONFIRMED", "channel") == "EMAIL");
    CHECK(row(user, "ORDER_CONFIRMED", "attempts") == "1");
    CHECK(eventually(
        [&] {
          std::size_t emails = 0;
          for (const auto& e : kit::published(database.url, "notification.events", user))
            emails += e.type == "NOTIFICATION_SENT" && kit::data_member(e, "channel") == "EMAIL" ? 1 : 0;
          return emails == 2;
        },
        20s));
    auto api = kit::json(
        kit::http("GET", service_url + "/api/notifications?type=ORDER_CONFIRMED", "", kit::as_user(user)).body);
    REQUIRE(api["items"].Size() == 1);
    CHECK(kit::str(api["items"][0], "channel") == "EMAIL");
    CHECK(!kit::str(api["items"][0], "deliveredAt").empty());
  }

  SECTION("an order e-mail waits for the user's address when USER_REGISTERED comes later") {
    ev::publish_order_confirmed(order, user);
    REQUIRE(eventually([&] { return row(user, "ORDER_CONFIRMED", "last_error").has_value(); }, 60s));
    CHECK_FALSE(row(user, "ORDER_CONFIRMED", "delivered_at"));
    CHECK(row(user, "ORDER_CONFIRMED", "last_error")->find("not known") != std::string::npos);
    ev::publish_user_registered(user, email, "Ada");
    REQUIRE(eventually([&] { return mails(maildir, email, "was confirmed").size() == 1; }, 60s));
    CHECK(eventually([&] { return row(user, "ORDER_CONFIRMED", "delivered_at").has_value(); }, 20s));
  }

  SECTION("while the SMTP server is down e-mails are retried, then delivered once it is back") {
    ev::publish_user_registered(user, email, "Ada");
    REQUIRE(eventually([&] { return mails(maildir, email, "Welcome").size() == 1; }, 60s));
    sink.reset();  // the server goes away
    ev::publish_order_confirmed(order, user);
    REQUIRE(eventually([&] { return std::stoi(row(user, "ORDER_CONFIRMED", "attempts").value_or("0")) >= 2; }, 60s));
    CHECK_FALSE(row(user, "ORDER_CONFIRMED", "delivered_at"));
    CHECK(row(user, "ORDER_CONFIRMED", "last_error").has_value());
    sink = std::make_unique<SmtpSink>(smtp_port, maildir, dir / "smtp.log");
    REQUIRE(eventually([&] { return mails(maildir, email, "was confirmed").size() == 1; }, 60s));
    CHECK(eventually([&] { return row(user, "ORDER_CONFIRMED", "delivered_at").has_value(); }, 20s));
    CHECK(mails(maildir, email, "Welcome").size() == 1);  // nothing sent twice
  }

  CHECK(service.running());
  service.stop();
  sink.reset();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
