// The generated contracts of contracts/events, as services use them.
#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "shopmesh/contracts/all.hpp"

namespace contracts = shopmesh::contracts;
using contracts::DecodeError;
using contracts::OrderCreatedV1;
using shopmesh::core::Cents;

namespace {

constexpr const char* kOrderId = "0190f3a2-7c1e-7d4a-9b2f-3c4d5e6f7a8b";
constexpr const char* kUserId = "0190f3a2-7c1e-7d4a-9b2f-000000000001";
constexpr const char* kProductA = "0190f3a2-7c1e-7d4a-9b2f-0000000000a1";
constexpr const char* kProductB = "0190f3a2-7c1e-7d4a-9b2f-0000000000b2";

OrderCreatedV1 sample_order() {
  OrderCreatedV1 order;
  order.order_id = {kOrderId};
  order.user_id = {kUserId};
  order.items = {{{kProductA}, "Mug", Cents{1999}, 2, Cents{3998}}, {{kProductB}, "Tea", Cents{450}, 1, Cents{450}}};
  order.total_amount = Cents{4448};
  order.shipping_address =
      contracts::OrderCreatedV1ShippingAddress{"1 Main St", std::nullopt, "Springfield", "12345", "US"};
  order.created_at = "2026-11-21T20:15:03.123Z";
  return order;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

contracts::Decoded<OrderCreatedV1> decode(const std::string& text) {
  return contracts::from_json<OrderCreatedV1>(parse(text));
}

bool has_error(const std::vector<DecodeError>& errors, const std::string& path, const std::string& message) {
  for (const DecodeError& e : errors)
    if (e.path == path && e.message == message) return true;
  return false;
}

}  // namespace

// Outbox::add<Event> calls to_json(event) unqualified from namespace shopmesh::events.
namespace shopmesh::events::adl_probe {
template <class Event>
std::string serialise(const Event& event) {
  return to_json(event);
}
}  // namespace shopmesh::events::adl_probe

TEST_CASE("codegen: ORDER_CREATED round-trips struct -> JSON -> struct", "[codegen]") {
  OrderCreatedV1 order = sample_order();
  std::string json = shopmesh::events::adl_probe::serialise(order);
  CHECK(json.find("\"totalAmount\":44.48") != std::string::npos);
  CHECK(json.find("\"currency\":\"USD\"") != std::string::npos);
  CHECK(json.find("\"line2\":null") != std::string::npos);

  auto decoded = contracts::from_json_text<OrderCreatedV1>(json);
  INFO(contracts::describe(decoded.errors));
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == order);
  CHECK(OrderCreatedV1::kType == "ORDER_CREATED");
  CHECK(OrderCreatedV1::kVersion == 1);
}

TEST_CASE("codegen: money is exact in cents and written with two decimals", "[codegen]") {
  OrderCreatedV1 order = sample_order();
  order.items = {{{kProductA}, "Pen", Cents{1999}, 1, Cents{1999}}};
  order.total_amount = Cents{2000};
  std::string json = contracts::to_json(order);
  CHECK(json.find("\"unitPrice\":19.99") != std::string::npos);
  CHECK(json.find("\"totalAmount\":20.00") != std::string::npos);

  auto decoded = contracts::from_json_text<OrderCreatedV1>(json);
  REQUIRE(decoded.ok());
  CHECK(decoded.value->items[0].unit_price == Cents{1999});
  CHECK(decoded.value->total_amount == Cents{2000});

  std::string three_decimals = json;
  three_decimals.replace(three_decimals.find("19.99"), 5, "19.999");
  auto rejected = contracts::from_json_text<OrderCreatedV1>(three_decimals);
  CHECK_FALSE(rejected.ok());
  CHECK(rejected.errors == std::vector<DecodeError>{{"data.items[0].unitPrice", "must have at most 2 decimals"}});
}

TEST_CASE("codegen: every error is reported at once with its path", "[codegen]") {
  auto decoded = decode(R"({
    "orderId": "not-a-uuid",
    "items": [
      {"productId": "0190f3a2-7c1e-7d4a-9b2f-0000000000a1", "productName": "Mug",
       "unitPrice": 1, "quantity": 1, "subtotal": 1},
      {"productId": "0190f3a2-7c1e-7d4a-9b2f-0000000000b2", "productName": "",
       "unitPrice": 1, "quantity": 0, "subtotal": 1}
    ],
    "totalAmount": 2.001,
    "currency": "EUR",
    "shippingAddress": null,
    "createdAt": "yesterday"
  })");
  CHECK_FALSE(decoded.ok());
  CHECK_FALSE(decoded.value.has_value());
  INFO(contracts::describe(decoded.errors));
  CHECK(decoded.errors.size() == 7);
  CHECK(has_error(decoded.errors, "data.orderId", "must be a uuid"));
  CHECK(has_error(decoded.errors, "data.userId", "is required"));
  CHECK(has_error(decoded.errors, "data.items[1].productName", "must have at least 1 character"));
  CHECK(has_error(decoded.errors, "data.items[1].quantity", "must be >= 1"));
  CHECK(has_error(decoded.errors, "data.totalAmount", "must have at most 2 decimals"));
  CHECK(has_error(decoded.errors, "data.currency", "must be \"USD\""));
  CHECK(has_error(decoded.errors, "data.createdAt", "must be a date-time (RFC 3339, e.g. 2026-11-21T20:15:03.123Z)"));
  CHECK(contracts::describe(decoded.errors).find("data.items[1].quantity: must be >= 1") != std::string::npos);
}

TEST_CASE("codegen: unknown fields are tolerated", "[codegen]") {
  rapidjson::Document document = parse(contracts::to_json(sample_order()));
  auto& allocator = document.GetAllocator();
  document.AddMember("addedInLaterRelease", rapidjson::Value("whatever", allocator), allocator);
  document["items"][0].AddMember("discount", 5, allocator);
  auto decoded = contracts::from_json<OrderCreatedV1>(document);
  INFO(contracts::describe(decoded.errors));
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == sample_order());
}

TEST_CASE("codegen: nullable fields accept null, required ones not absence", "[codegen]") {
  OrderCreatedV1 order = sample_order();
  order.shipping_address.reset();
  std::string json = contracts::to_json(order);
  CHECK(json.find("\"shippingAddress\":null") != std::string::npos);
  auto decoded = contracts::from_json_text<OrderCreatedV1>(json);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded.value->shipping_address.has_value());

  rapidjson::Document document = parse(json);
  document.RemoveMember("shippingAddress");
  CHECK(contracts::from_json<OrderCreatedV1>(document).errors ==
        std::vector<DecodeError>{{"data.shippingAddress", "is required"}});

  document = parse(json);
  document["createdAt"].SetNull();
  CHECK(contracts::from_json<OrderCreatedV1>(document).errors ==
        std::vector<DecodeError>{{"data.createdAt", "must not be null"}});
}

TEST_CASE("codegen: optional fields are omitted when empty", "[codegen]") {
  contracts::SessionRevokedV1 revoked;
  revoked.user_id = {kUserId};
  revoked.reason = contracts::SessionRevokedV1Reason::kPasswordChanged;
  revoked.except_session_id = "family-7";
  revoked.revoked_at = "2026-11-21T20:15:03Z";
  std::string json = contracts::to_json(revoked);
  CHECK(json ==
        R"({"userId":"0190f3a2-7c1e-7d4a-9b2f-000000000001","exceptSessionId":"family-7","reason":"PASSWORD_CHANGED",)"
        R"("revokedAt":"2026-11-21T20:15:03Z"})");
  auto decoded = contracts::from_json_text<contracts::SessionRevokedV1>(json);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded.value->session_id.has_value());
  CHECK(*decoded.value == revoked);
}

TEST_CASE("codegen: an unknown enum value names the field and the allowed values", "[codegen]") {
  auto decoded = contracts::from_json_text<contracts::UserRegisteredV1>(
      R"({"userId":"0190f3a2-7c1e-7d4a-9b2f-000000000001","email":"a@b.c","name":"Ann","role":"ROOT",)"
      R"("registeredAt":"2026-11-21T20:15:03Z"})");
  CHECK(decoded.errors == std::vector<DecodeError>{{"data.role", "must be one of USER, ADMIN"}});

  CHECK(contracts::parse_enum<contracts::UserRegisteredV1Role>("ADMIN") == contracts::UserRegisteredV1Role::kAdmin);
  CHECK_FALSE(contracts::parse_enum<contracts::UserRegisteredV1Role>("admin").has_value());
  CHECK(to_string(contracts::UserRegisteredV1Role::kAdmin) == "ADMIN");
}

TEST_CASE("codegen: shared $defs types serve both fields", "[codegen]") {
  contracts::OrderStatusChangedV1 changed;
  changed.from = contracts::OrderStatusChangedV1OrderStatus::kPending;
  changed.to = changed.from;
  changed.to = contracts::OrderStatusChangedV1OrderStatus::kConfirmed;
  CHECK(contracts::to_json(changed).find(R"("from":"PENDING","to":"CONFIRMED")") != std::string::npos);
}

TEST_CASE("codegen: find_schema validates a raw ORDER_CREATED document", "[codegen]") {
  const contracts::SchemaInfo* info = contracts::find_schema("ORDER_CREATED", 1);
  REQUIRE(info != nullptr);
  CHECK(info->type == "ORDER_CREATED");
  CHECK(info->version == 1);
  CHECK(info->validate(parse(contracts::to_json(sample_order()))).empty());
  auto errors = info->validate(parse(R"({"orderId": 7})"));
  CHECK(has_error(errors, "data.orderId", "must be a uuid"));
  CHECK(has_error(errors, "data.items", "is required"));
  CHECK(info->validate(parse("[]")) == std::vector<DecodeError>{{"data", "must be an object"}});

  CHECK(contracts::find_schema("ORDER_CREATED", 2) == nullptr);
  CHECK(contracts::find_schema("NO_SUCH_EVENT", 1) == nullptr);
}

TEST_CASE("codegen: the registry lists every event type of SPEC §4", "[codegen]") {
  const char* types[] = {"USER_REGISTERED",   "USER_DELETED",         "SESSION_REVOKED", "PRODUCT_CREATED",
                         "PRODUCT_UPDATED",   "PRODUCT_DELETED",      "ORDER_CREATED",   "ORDER_CONFIRMED",
                         "ORDER_REJECTED",    "ORDER_CANCELLED",      "ORDER_STATUS_CHANGED", "STOCK_RESERVED",
                         "STOCK_REJECTED",    "STOCK_RELEASED",       "STOCK_CHANGED",   "SHIPMENT_CREATED",
                         "SHIPMENT_STATUS_CHANGED", "NOTIFICATION_SENT"};
  for (const char* type : types) {
    INFO(type);
    CHECK(contracts::find_schema(type, 1) != nullptr);
  }
  CHECK(contracts::all_schemas().size() >= std::size(types));
}

TEST_CASE("codegen: invalid JSON text is one error at data", "[codegen]") {
  auto decoded = contracts::from_json_text<OrderCreatedV1>("{\"orderId\":");
  REQUIRE(decoded.errors.size() == 1);
  CHECK(decoded.errors[0].path == "data");
  CHECK(decoded.errors[0].message.rfind("is not valid JSON", 0) == 0);
}

TEST_CASE("codegen: AllContracts lists the registry's contracts in the same order", "[codegen]") {
  CHECK(contracts::AllContracts::size == contracts::all_schemas().size());
  CHECK(contracts::all_schemas().front().type == contracts::NotificationSentV1::kType);
}

// The recursive parse of an unknown member nested a million levels deep overflowed the stack (the
// fuzz target event_payload crashes on 100,000 levels without the fix).
TEST_CASE("codegen: hostile nesting in an unknown member is decoded without recursion", "[codegen][fuzz]") {
  const std::size_t depth = 1'000'000;
  const std::string text = R"({"orderId":"x","extra":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  auto decoded = contracts::from_json_text<OrderCreatedV1>(text);
  CHECK_FALSE(decoded.ok());
  CHECK(decoded.errors.front().path != "data");  // parsed; the contract's own errors follow
}
