#include <catch2/catch.hpp>

#include "shopmesh/gateway/events.hpp"
#include "shopmesh/gateway/response_cache.hpp"
#include "shopmesh/gateway/revocation.hpp"

using namespace shopmesh::gateway;

namespace {

std::string envelope(std::string_view type, std::string_view data) {
  return std::string(R"({"id":"0190a0f0-0000-7000-8000-000000000001","type":")") + std::string(type) +
         R"(","version":1,"occurredAt":"2026-11-21T20:15:03.123Z","producer":"auth","key":"k",)"
         R"("correlationId":"c","causationId":null,"data":)" +
         std::string(data) + "}";
}

constexpr std::int64_t k2026 = 1'795'292'103;  // 2026-11-21T20:15:03Z

CachedResponse ok_response() {
  CachedResponse r;
  r.status = 200;
  r.body = "[]";
  return r;
}

}  // namespace

TEST_CASE("gateway revocation: RFC 3339 timestamps", "[gateway]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2026-11-21T20:15:03.123Z") == k2026);
  CHECK(parse_rfc3339("2026-11-21T20:15:03Z") == k2026);
  CHECK(parse_rfc3339("2026-11-21T22:15:03+02:00") == k2026);
  CHECK(parse_rfc3339("2026-11-21T19:15:03.5-01:00") == k2026);
  CHECK(parse_rfc3339("2000-02-29T12:00:00Z") == 951'825'600);
  CHECK_FALSE(parse_rfc3339("2026-11-21T20:15:03"));  // no offset
  CHECK_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-21 garbage"));
  CHECK_FALSE(parse_rfc3339("1795292103"));
  CHECK_FALSE(parse_rfc3339(""));
  CHECK_FALSE(parse_rfc3339("2026-11-21T20:15:03.Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-21T20:15:03Zjunk"));
}

TEST_CASE("gateway revocation: sessions, users, exceptions and retention", "[gateway]") {
  RevocationSet set(960);
  CHECK_FALSE(set.is_revoked("u1", "s1", 100));
  set.add({"u1", "s1", "", 1000}, 1000);
  CHECK(set.is_revoked("u1", "s1", 999));
  CHECK(set.is_revoked("u1", "s1", 2000));  // a revoked session stays revoked
  CHECK_FALSE(set.is_revoked("u1", "s2", 999));
  CHECK_FALSE(set.is_revoked("u2", "", 999));

  set.add({"u2", "", "keep", 1000}, 1000);  // every session of u2 but "keep"
  CHECK(set.is_revoked("u2", "a", 1000));   // issued at revokedAt: revoked
  CHECK(set.is_revoked("u2", "", 10));
  CHECK_FALSE(set.is_revoked("u2", "keep", 900));
  CHECK_FALSE(set.is_revoked("u2", "b", 1001));  // issued after the revocation
  CHECK(set.size() == 2);

  CHECK(set.sweep(1000 + 960) == 2);  // still within the token lifetime
  CHECK(set.sweep(1000 + 961) == 0);
  CHECK_FALSE(set.is_revoked("u1", "s1", 999));
  CHECK_FALSE(set.is_revoked("u2", "a", 1000));

  // A replayed event older than any living token is not stored at all.
  set.add({"u3", "s9", "", 1000}, 5000);
  CHECK(set.size() == 0);
  CHECK_FALSE(set.is_revoked("u3", "s9", 900));
}

TEST_CASE("gateway events: SESSION_REVOKED envelopes", "[gateway]") {
  auto e = parse_session_revoked(envelope(
      "SESSION_REVOKED",
      R"({"userId":"0190f0f0-0000-7000-8000-000000000001","sessionId":"s1","reason":"LOGOUT","revokedAt":"2026-11-21T20:15:03.123Z"})"));
  REQUIRE(e);
  CHECK(e->user_id == "0190f0f0-0000-7000-8000-000000000001");
  CHECK(e->session_id == "s1");
  CHECK(e->except_session_id.empty());
  CHECK(e->revoked_at_s == k2026);
  auto all = parse_session_revoked(envelope(
      "SESSION_REVOKED",
      R"({"userId":"0190f0f0-0000-7000-8000-000000000001","exceptSessionId":"s2","reason":"PASSWORD_CHANGED","revokedAt":"2026-11-21T20:15:03Z"})"));
  REQUIRE(all);
  CHECK(all->session_id.empty());
  CHECK(all->except_session_id == "s2");
  CHECK_FALSE(
      parse_session_revoked(envelope("USER_REGISTERED", R"({"userId":"0190f0f0-0000-7000-8000-000000000001"})")));
  CHECK_FALSE(
      parse_session_revoked(envelope("SESSION_REVOKED", R"({"sessionId":"s1","revokedAt":"2026-11-21T20:15:03Z"})")));
  CHECK_FALSE(parse_session_revoked(
      envelope("SESSION_REVOKED", R"({"userId":"0190f0f0-0000-7000-8000-000000000001","revokedAt":"yesterday"})")));
  CHECK_FALSE(parse_session_revoked("{not json"));
  // Decoded by the generated contract: a user id that is not a UUID, or an unknown reason, is refused.
  CHECK_FALSE(parse_session_revoked(
      envelope("SESSION_REVOKED", R"({"userId":"u1","reason":"LOGOUT","revokedAt":"2026-11-21T20:15:03Z"})")));
  CHECK_FALSE(parse_session_revoked(
      envelope("SESSION_REVOKED", R"({"userId":")" + std::string("0190f0f0-0000-7000-8000-000000000001") +
                                      R"(","reason":"BORED","revokedAt":"2026-11-21T20:15:03Z"})")));
}

TEST_CASE("gateway events: what each topic and type does", "[gateway]") {
  RevocationSet revocations(960);
  ResponseCache cache({100, 1 << 20, 1 << 16, std::chrono::seconds(60)});
  GatewayEventHandler handler("identity.events", {"catalog.events", "stock.events"}, revocations, cache);
  using Effect = GatewayEventHandler::Effect;
  const auto now = ResponseCache::Clock::now();

  CHECK(
      handler.apply(
          "identity.events",
          envelope(
              "SESSION_REVOKED",
              R"({"userId":"0190f0f0-0000-7000-8000-000000000001","sessionId":"s1","reason":"LOGOUT","revokedAt":"2026-11-21T20:15:03Z"})"),
          k2026) == Effect::revoked);
  CHECK(revocations.is_revoked("0190f0f0-0000-7000-8000-000000000001", "s1", k2026 - 5));
  CHECK(handler.apply("identity.events", envelope("USER_REGISTERED", R"({"userId":"u9"})"), k2026) == Effect::ignored);
  CHECK(handler.apply("identity.events", envelope("SESSION_REVOKED", R"({"userId":7})"), k2026) == Effect::malformed);

  auto fill = [&] {
    cache.put("/api/products", ok_response(), cache.generation(), now);
    REQUIRE(cache.size() == 1);
  };
  fill();
  CHECK(handler.apply("catalog.events", envelope("PRODUCT_UPDATED", R"({"productId":"p1"})"), k2026) ==
        Effect::cache_cleared);
  CHECK(cache.size() == 0);
  for (const char* type : {"PRODUCT_CREATED", "PRODUCT_DELETED"}) {
    fill();
    CHECK(handler.apply("catalog.events", envelope(type, "{}"), k2026) == Effect::cache_cleared);
    CHECK(cache.size() == 0);
  }
  fill();
  CHECK(handler.apply("stock.events", envelope("STOCK_CHANGED", R"({"productId":"p1","available":3})"), k2026) ==
        Effect::cache_cleared);
  CHECK(cache.size() == 0);
  fill();
  CHECK(handler.apply("stock.events", envelope("STOCK_RESERVED", R"({"orderId":"o1"})"), k2026) == Effect::ignored);
  CHECK(handler.apply("order.events", envelope("PRODUCT_UPDATED", "{}"), k2026) == Effect::ignored);
  CHECK(cache.size() == 1);
  CHECK(handler.apply("catalog.events", "garbage", k2026) == Effect::malformed);  // assume the worst
  CHECK(cache.size() == 0);
}
