// The notification service on the real stack (no SMTP there: notifications are IN_APP and
// delivered when recorded): events published to the real topics, rows and API checked.
#include <catch2/catch.hpp>
#include <set>

#include "../../saga/mesh_kit.hpp"
#include "notification_events.hpp"
#include "test_prelude.hpp"

namespace kit = testing::kit;
namespace ev = testing::notification_events;

namespace {

std::string db() {
  return stack_var("DATABASE_URL_NOTIFICATION");
}
std::string url() {
  return stack_var("NOTIFICATION_URL");
}

long long count_for(const std::string& user_id, const char* extra = "true") {
  return kit::scalar<long long>(
             db(), std::string("SELECT count(*) FROM notifications WHERE user_id = $1::uuid AND ") + extra, user_id)
      .value_or(-1);
}

}  // namespace

TEST_CASE("notification: each user-facing event becomes one in-app notification", "[notification]") {
  const std::string user = core::uuid_v7();
  const std::string order = core::uuid_v7();
  const std::string email = "ada-" + user.substr(24) + "@example.com";
  auto registered = ev::publish_user_registered(user, email, "Ada");
  // identity.events and order.events are separate topics: let the projection know the name first
  REQUIRE(eventually(
      [&] { return kit::scalar<std::string>(db(), "SELECT name FROM users WHERE user_id = $1::uuid", user) == "Ada"; },
      30s));
  auto ids = ev::publish_order_lifecycle(order, user);  // CREATED, CONFIRMED, CANCELLED, REJECTED, shipment READY
  ids.push_back(registered.id);
  std::string id_array;
  for (const auto& id : ids) id_array += (id_array.empty() ? "" : ",") + id;
  id_array = "{" + id_array + "}";
  auto mine = [&](const char* extra) {
    return kit::scalar<long long>(
               db(), std::string("SELECT count(*) FROM notifications WHERE event_id = ANY($1::uuid[]) AND ") + extra,
               id_array)
        .value_or(-1);
  };
  REQUIRE(eventually([&] { return mine("true") == 6; }, 30s));

  // one row per event, each delivered in the app when recorded, with a NOTIFICATION_SENT each
  CHECK(mine("channel = 'IN_APP' AND delivered_at IS NOT NULL") == 6);
  CHECK(eventually(
      [&] {
        return static_cast<long long>(kit::count_type(kit::published(db(), "notification.events", user),
                                                      "NOTIFICATION_SENT")) == count_for(user);
      },
      20s));

  // the stack reacted as well (stock rejected the unknown product, shipping cancelled): at least 6
  auto r = kit::http("GET", url() + "/api/notifications?limit=100", "", kit::as_user(user));
  REQUIRE(r.status == 200);
  auto page = kit::json(r.body);
  const auto total = page["total"].GetInt64();
  CHECK(total >= 6);
  CHECK(total == count_for(user));
  CHECK(page["page"].GetInt() == 1);
  REQUIRE(page["items"].Size() == static_cast<rapidjson::SizeType>(total));
  std::set<std::string> types;
  for (const auto& n : page["items"].GetArray()) {
    types.insert(kit::str(n, "type"));
    CHECK(kit::str(n, "channel") == "IN_APP");
    CHECK(!kit::str(n, "deliveredAt").empty());
    CHECK(!kit::str(n, "createdAt").empty());
    CHECK(!kit::str(n, "subject").empty());
    if (kit::str(n, "type") != "USER_REGISTERED") CHECK(kit::str(n, "orderId") == order);
    if (kit::str(n, "type") == "ORDER_CONFIRMED") {
      CHECK(kit::str(n, "subject") == "Your order " + order + " was confirmed");
      CHECK(kit::str(n, "body").rfind("Hi Ada,", 0) == 0);  // the name comes from the users projection
    }
    if (kit::str(n, "type") == "USER_REGISTERED") CHECK(n["orderId"].IsNull());
  }
  CHECK(types == std::set<std::string>{"USER_REGISTERED", "ORDER_CREATED", "ORDER_CONFIRMED", "ORDER_CANCELLED",
                                       "ORDER_REJECTED", "SHIPMENT_STATUS_CHANGED"});

  // filters and paging
  auto confirmed =
      kit::json(kit::http("GET", url() + "/api/notifications?type=ORDER_CONFIRMED", "", kit::as_user(user)).body);
  CHECK(confirmed["total"].GetInt64() == 1);
  auto second_page =
      kit::json(kit::http("GET", url() + "/api/notifications?limit=4&page=2", "", kit::as_user(user)).body);
  CHECK(second_page["items"].Size() == static_cast<rapidjson::SizeType>(std::min<std::int64_t>(4, total - 4)));
  CHECK(kit::json(kit::http("GET", url() + "/api/notifications?orderId=" + order, "", kit::as_user(user)).body)["total"]
            .GetInt64() == total - 1);
  // nobody else sees them
  CHECK(kit::json(kit::http("GET", url() + "/api/notifications", "", kit::as_user(core::uuid_v7())).body)["total"]
            .GetInt64() == 0);
  CHECK(kit::http("GET", url() + "/api/notifications").status == 401);
  CHECK(kit::http("GET", url() + "/api/notifications?limit=0", "", kit::as_user(user)).status == 400);
}

TEST_CASE("notification: a redelivered event is recorded once, and USER_DELETED is remembered", "[notification]") {
  const std::string user = core::uuid_v7();
  const std::string order = core::uuid_v7();
  auto confirmed = ev::order_confirmed_envelope(order, user);
  kit::publish(ev::order_topic(), {confirmed, confirmed, confirmed});
  auto barrier = ev::publish_order_confirmed(order, user);  // same key, after the duplicates, another id
  REQUIRE(eventually([&] { return count_for(user, "type = 'ORDER_CONFIRMED'") == 2; }, 30s));
  CHECK(kit::scalar<long long>(db(), "SELECT count(*) FROM notifications WHERE event_id = $1::uuid", confirmed.id) ==
        1);
  (void)barrier;

  ev::publish_user_registered(user, "gone@example.com", "Gone");
  ev::publish_user_deleted(user);
  REQUIRE(eventually(
      [&] {
        return kit::scalar<bool>(db(), "SELECT deleted_at IS NOT NULL FROM users WHERE user_id = $1::uuid", user) ==
               true;
      },
      30s));
}
