// Exactly-once effects under redelivery of everything: stop the stock, shipping and notification
// services, rewind their consumer groups to the beginning of every topic they read, start them
// again (`scripts/stack up` starts what is not running), and check that nothing changed once each
// has seen again every event it had applied. Runs on whatever the topics hold (the other tests'
// events, the saga's when it ran). Stops and restarts stack processes: keep it last.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "bus_fixture.hpp"
#include "mesh_kit.hpp"
#include "shopmesh/events/envelope.hpp"
#include "test_prelude.hpp"

namespace kit = testing::kit;

namespace {

struct Consumer {
  std::string service;  // also its consumer group
  std::vector<std::string> topics;
  std::vector<std::string> state_queries;  // each yields one text value summarising a table
  std::string publishes_to;                // the topic of the events it produces
};

const std::vector<Consumer>& consumers() {
  static const std::vector<Consumer> all{
      {"stock",
       {"order.events", "catalog.events"},
       {"SELECT count(*) || ':' || coalesce(md5(string_agg(product_id || '/' || available || '/' || reserved || '/' || "
        "active,"
        " ',' ORDER BY product_id)), '') FROM levels",
        "SELECT count(*) || ':' || coalesce(md5(string_agg(order_id || '/' || product_id || '/' || quantity || '/' || "
        "status,"
        " ',' ORDER BY order_id, product_id)), '') FROM reservations",
        "SELECT count(*) || ':' || coalesce(md5(string_agg(order_id || '/' || outcome, ',' ORDER BY order_id)), '')"
        " FROM order_decisions"},
       "stock.events"},
      {"shipping",
       {"order.events", "stock.events"},
       {"SELECT count(*) || ':' || coalesce(md5(string_agg(id || '/' || order_id || '/' || coalesce(user_id::text, "
        "'-') || '/'"
        " || status || '/' || coalesce(tracking_number, '-') || '/' || announced, ',' ORDER BY id)), '') FROM "
        "shipments"},
       "shipping.events"},
      {"notification",
       {"identity.events", "order.events", "shipping.events"},
       {"SELECT count(*) || ':' || coalesce(md5(string_agg(id || '/' || event_id || '/' || type, ',' ORDER BY id)), '')"
        " FROM notifications",
        "SELECT count(*) || ':' || coalesce(md5(string_agg(user_id || '/' || email || '/' || (deleted_at IS NULL),"
        " ',' ORDER BY user_id)), '') FROM users"},
       "notification.events"},
  };
  return all;
}

std::string db_of(const std::string& service) {
  std::string var = "DATABASE_URL_" + service;
  for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return stack_var(var.c_str());
}

std::string url_of(const std::string& service) {
  std::string var = service + "_URL";
  for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return stack_var(var.c_str());
}

// Each consumer's tables, and how many distinct events it has published (all it had committed).
std::map<std::string, std::string> snapshot() {
  std::map<std::string, std::string> out;
  for (const auto& c : consumers()) {
    for (const auto& q : c.state_queries)
      out[c.service + ": " + q.substr(0, 60)] = kit::scalar<std::string>(db_of(c.service), q).value_or("");
    REQUIRE(testing::outbox_caught_up(db_of(c.service), 30s));
    const auto published = testing::published_events(
        c.publishes_to, [&](const events::Envelope& e) { return e.producer == c.service; }, 0, 60s);
    out[c.service + ": events published on " + c.publishes_to] = std::to_string(published.size());
  }
  return out;
}

long long inbox_count(const Consumer& c) {
  return kit::scalar<long long>(db_of(c.service), "SELECT count(*) FROM inbox WHERE consumer_group = $1", c.service)
      .value_or(-1);
}

// The sum of events_consumed_total{group, outcome="duplicate"} on the service's /metrics.
long long duplicates_seen(const Consumer& c) {
  auto r = kit::http("GET", url_of(c.service) + "/metrics");
  if (r.status != 200) return -1;
  long long total = 0;
  const std::regex line("^events_consumed_total\\{([^}]*)\\} ([0-9.e+]+)$");
  std::istringstream in(r.body);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, line)) continue;
    const std::string labels = m[1];
    if (labels.find("outcome=\"duplicate\"") != std::string::npos &&
        labels.find("group=\"" + c.service + "\"") != std::string::npos)
      total += static_cast<long long>(std::stod(m[2]));
  }
  return total;
}

pid_t pid_of(const std::string& service) {
  std::ifstream in(stack_var("SHOPMESH_STATE_DIR") + "/run/" + service + ".pid");
  pid_t pid = -1;
  in >> pid;
  return pid;
}

bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

// Seeds every kind of effect, whatever ran before: a user, a product, a reserved and cancelled
// order, a rejected one, a shipped one. Returns when the three consumers have applied them.
void seed() {
  const std::string user = core::uuid_v7();
  kit::publish("identity.events", "USER_REGISTERED", user,
               R"({"userId":")" + user + R"(","email":"replay-)" + user.substr(24) +
                   R"(@example.com","name":"Replay","role":"USER","registeredAt":")" + events::now_rfc3339() + R"("})");
  const std::string product = kit::stocked_product(3);
  auto created = [&](const std::string& order, int quantity) {
    return R"({"orderId":")" + order + R"(","userId":")" + user + R"(","items":[{"productId":")" + product +
           R"(","productName":"Replay mug","unitPrice":5.00,"quantity":)" + std::to_string(quantity) +
           R"(,"subtotal":)" + std::to_string(5 * quantity) + R"(.00}],"totalAmount":)" + std::to_string(5 * quantity) +
           R"(.00,"currency":"USD","shippingAddress":null,"createdAt":")" + events::now_rfc3339() + R"("})";
  };
  const std::string cancelled = core::uuid_v7(), rejected = core::uuid_v7(), shipped = core::uuid_v7();
  kit::publish("order.events", "ORDER_CREATED", cancelled, created(cancelled, 2));
  kit::publish("order.events", "ORDER_CREATED", rejected, created(rejected, 5));
  kit::publish("order.events", "ORDER_CANCELLED", cancelled,
               R"({"orderId":")" + cancelled + R"(","userId":")" + user +
                   R"(","previousStatus":"CONFIRMED","cancelledBy":")" + user + R"(","cancelledAt":")" +
                   events::now_rfc3339() + R"("})");
  kit::publish("order.events", "ORDER_CREATED", shipped, created(shipped, 1));
  kit::publish("order.events", "ORDER_STATUS_CHANGED", shipped,
               R"({"orderId":")" + shipped + R"(","userId":")" + user +
                   R"(","from":"CONFIRMED","to":"SHIPPED","changedAt":")" + events::now_rfc3339() + R"("})");
  auto shipment = [&](const std::string& order) {
    return kit::scalar<std::string>(db_of("shipping"), "SELECT status FROM shipments WHERE order_id = $1::uuid", order)
        .value_or("");
  };
  REQUIRE(eventually(
      [&] {
        return shipment(cancelled) == "CANCELLED" && shipment(rejected) == "CANCELLED" &&
               shipment(shipped) == "SHIPPED" &&
               kit::scalar<std::string>(db_of("stock"),
                                        "SELECT available || '/' || reserved FROM levels WHERE product_id = $1::uuid",
                                        product) == "2/1" &&
               kit::scalar<long long>(db_of("notification"),
                                      "SELECT count(*) FROM notifications WHERE user_id = $1::uuid", user) >= 7;
      },
      60s));
}

}  // namespace

TEST_CASE("saga: re-consuming every topic from the beginning changes nothing", "[saga][replay]") {
  seed();
  // quiet first: nothing in flight (every outbox relay caught up, consumers caught up for a moment)
  for (const auto& c : consumers()) REQUIRE(testing::outbox_caught_up(db_of(c.service), 30s));
  // ... and every consumer idle: its inbox unchanged over 2 s of polling
  auto applied_now = [] {
    std::map<std::string, long long> counts;
    for (const auto& c : consumers()) counts[c.service] = inbox_count(c);
    return counts;
  };
  auto applied = applied_now();
  int stable_polls = 0;
  REQUIRE(eventually(
      [&] {
        auto now = applied_now();
        stable_polls = now == applied ? stable_polls + 1 : 0;
        applied = now;
        return stable_polls >= 10;
      },
      60s, 200ms));
  const auto before = snapshot();

  for (const auto& c : consumers()) {
    const pid_t pid = pid_of(c.service);
    REQUIRE(alive(pid));
    ::kill(pid, SIGTERM);
    REQUIRE(eventually([&] { return !alive(pid); }, 30s));
  }
  // the groups are empty now: rewind them
  for (const auto& c : consumers())
    for (const auto& topic : c.topics) testing::reset_group_offsets(c.service, topic);

  const std::string up =
      stack_var("SHOPMESH_REPO") + "/scripts/stack up > " + stack_var("SHOPMESH_STATE_DIR") + "/log/replay-up.log 2>&1";
  REQUIRE(std::system(up.c_str()) == 0);

  for (const auto& c : consumers()) {
    INFO(c.service << ": " << applied[c.service] << " events applied before the rewind");
    CHECK(eventually([&] { return duplicates_seen(c) >= applied[c.service]; }, 120s, 200ms));
    CHECK(inbox_count(c) == applied[c.service]);
  }
  const auto after = snapshot();
  for (const auto& [what, value] : before) {
    INFO(what);
    CHECK(after.at(what) == value);
  }
}
