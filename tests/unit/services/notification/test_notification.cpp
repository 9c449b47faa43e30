#include <catch2/catch.hpp>
#include <map>

#include "shopmesh/contracts/order_cancelled_v1.hpp"
#include "shopmesh/contracts/order_created_v1.hpp"
#include "shopmesh/contracts/order_rejected_v1.hpp"
#include "shopmesh/contracts/shipment_status_changed_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/notification/email.hpp"
#include "shopmesh/notification/listing.hpp"
#include "shopmesh/notification/messages.hpp"
#include "shopmesh/notification/sender.hpp"

using namespace shopmesh;
using namespace shopmesh::notification;
using namespace std::chrono_literals;

namespace {
const std::string kUser = "0190a000-0000-7000-8000-000000000001";
const std::string kOrder = "0190a000-0000-7000-8000-0000000000aa";
}  // namespace

TEST_CASE("notification: drafts say what happened, to whom, about which order", "[notification]") {
  contracts::UserRegisteredV1 registered{{kUser}, "ada@example.com", "Ada", {}, "2026-11-21T20:15:03.123Z"};
  auto w = welcome(registered);
  CHECK(w.user_id == kUser);
  CHECK(w.type == "USER_REGISTERED");
  CHECK_FALSE(w.order_id);
  CHECK(w.body.find("ada@example.com") != std::string::npos);

  contracts::OrderCreatedV1 created;
  created.order_id = {kOrder};
  created.user_id = {kUser};
  created.items.push_back({{"p"}, "Mug", core::Cents{1999}, 2, core::Cents{3998}});
  created.total_amount = core::Cents{3998};
  auto c = order_received(created, std::string("Ada"));
  CHECK(c.order_id == kOrder);
  CHECK(c.subject == "We received your order " + kOrder);
  CHECK(c.body.rfind("Hi Ada,", 0) == 0);
  CHECK(c.body.find("2 x Mug at 19.99 USD") != std::string::npos);
  CHECK(c.body.find("39.98 USD in total") != std::string::npos);
  CHECK(order_received(created, std::nullopt).body.rfind("Hello,", 0) == 0);

  contracts::OrderRejectedV1 rejected{{kOrder}, {kUser}, "OUT_OF_STOCK", "2026-11-21T20:15:03.123Z"};
  auto r = order_rejected(rejected, std::nullopt);
  CHECK(r.subject == "Your order " + kOrder + " was rejected");
  CHECK(r.body.find("out of stock") != std::string::npos);

  contracts::OrderCancelledV1 cancelled;
  cancelled.order_id = {kOrder};
  cancelled.user_id = {kUser};
  cancelled.cancelled_by = {kUser};
  CHECK(order_cancelled(cancelled, std::nullopt).body.find("as you asked") != std::string::npos);

  contracts::ShipmentStatusChangedV1 shipped;
  shipped.order_id = {kOrder};
  shipped.user_id = {kUser};
  shipped.from = contracts::ShipmentStatusChangedV1ShipmentStatus::kReady;
  shipped.to = contracts::ShipmentStatusChangedV1ShipmentStatus::kShipped;
  shipped.tracking_number = "SM0123456789AB";
  auto s = shipment_changed(shipped, std::nullopt);
  CHECK(s.type == "SHIPMENT_STATUS_CHANGED");
  CHECK(s.subject == "Your order " + kOrder + " has shipped");
  CHECK(s.body.find("SM0123456789AB") != std::string::npos);
}

TEST_CASE("notification: mailboxes parse and format safely", "[notification]") {
  CHECK(parse_mailbox("Shopmesh <no-reply@shopmesh.local>") == Mailbox{"Shopmesh", "no-reply@shopmesh.local"});
  CHECK(parse_mailbox("\"Shop, Mesh\" <a@b.c>") == Mailbox{"Shop, Mesh", "a@b.c"});
  CHECK(parse_mailbox("a@b.c") == Mailbox{"", "a@b.c"});
  CHECK_FALSE(parse_mailbox("no address"));
  CHECK_FALSE(parse_mailbox("x <a@b.c> trailing"));
  CHECK_FALSE(parse_mailbox("x <a@b@c>"));
  CHECK_FALSE(parse_mailbox("x <a@b.c\r\nBcc: evil@x>"));
  CHECK(format_mailbox({"Shop \"Mesh\"", "a@b.c"}) == R"("Shop \"Mesh\"" <a@b.c>)");
  CHECK(format_mailbox({"", "a@b.c"}) == "<a@b.c>");
}

TEST_CASE("notification: header values cannot inject headers and non-ASCII is encoded", "[notification]") {
  CHECK(header_text("Order\r\nBcc: evil@example.com") == "Order  Bcc: evil@example.com");
  CHECK(header_text("Grüße") == "=?UTF-8?B?R3LDvMOfZQ==?=");
}

TEST_CASE("notification: a message has headers, a blank line, and a CRLF body", "[notification]") {
  MailMessage m{{"Shopmesh", "no-reply@shopmesh.local"},
                {"", "ada@example.com"},
                "Your order 1 was confirmed",
                "Hi Ada,\n\nline two\n",
                "abc@shopmesh.local",
                "Sat, 21 Nov 2026 20:15:03 +0000"};
  const std::string text = build_message(m);
  CHECK(text.find("From: \"Shopmesh\" <no-reply@shopmesh.local>\r\n") != std::string::npos);
  CHECK(text.find("To: <ada@example.com>\r\n") != std::string::npos);
  CHECK(text.find("Subject: Your order 1 was confirmed\r\n") != std::string::npos);
  CHECK(text.find("Message-ID: <abc@shopmesh.local>\r\n") != std::string::npos);
  CHECK(text.find("Content-Transfer-Encoding: 7bit\r\n\r\nHi Ada,\r\n\r\nline two\r\n") != std::string::npos);
  m.body = "Grüße";
  CHECK(build_message(m).find("Content-Transfer-Encoding: base64\r\n\r\nR3LDvMOfZQ0K\r\n") != std::string::npos);
  CHECK(rfc5322_date(std::chrono::system_clock::time_point{}) == "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST_CASE("notification: retries back off exponentially up to a cap", "[notification]") {
  CHECK(retry_delay(1, 1000ms, 300000ms) == 1000ms);
  CHECK(retry_delay(2, 1000ms, 300000ms) == 2000ms);
  CHECK(retry_delay(4, 1000ms, 300000ms) == 8000ms);
  CHECK(retry_delay(40, 1000ms, 300000ms) == 300000ms);
}

TEST_CASE("notification: list queries", "[notification]") {
  auto parse = [](std::map<std::string, std::string> params) {
    return parse_list_query([&](std::string_view name) -> std::optional<std::string> {
      auto it = params.find(std::string(name));
      if (it == params.end()) return std::nullopt;
      return it->second;
    });
  };
  auto q = parse({{"type", "ORDER_CONFIRMED"}, {"orderId", kOrder}, {"limit", "50"}});
  CHECK(q.type == "ORDER_CONFIRMED");
  CHECK(q.order_id == kOrder);
  CHECK(q.limit == 50);
  CHECK_THROWS_AS(parse({{"type", "x; drop"}}), core::DomainError);
  CHECK_THROWS_AS(parse({{"orderId", "nope"}}), core::DomainError);
  Page p;
  p.items.push_back({"n", "ORDER_CONFIRMED", "IN_APP", "s", "b", kOrder, "t", std::nullopt});
  p.total = 1;
  CHECK(page_json(p) == R"({"items":[{"id":"n","type":"ORDER_CONFIRMED","channel":"IN_APP","subject":"s","body":"b",)"
                        R"("orderId":")" +
                            kOrder + R"(","createdAt":"t","deliveredAt":null}],"page":1,"limit":20,"total":1})");
}
