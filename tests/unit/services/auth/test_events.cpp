// Identity event payloads match contracts/events (field names, optional members).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "identity_events.hpp"
#include "shopmesh/events/consumer.hpp"

using namespace shopmesh;
using namespace shopmesh::auth;

TEST_CASE("auth: USER_REGISTERED carries the new account", "[auth][events]") {
  Account a{"0190f0f0-0000-7000-8000-000000000001", "ann@example.com", "Ann", Role::user, "2026-01-01T00:00:00.000Z"};
  CHECK(
      user_registered_data(a) ==
      R"({"userId":"0190f0f0-0000-7000-8000-000000000001","email":"ann@example.com","name":"Ann","role":"USER","registeredAt":"2026-01-01T00:00:00.000Z"})");
}

TEST_CASE("auth: SESSION_REVOKED omits absent session fields", "[auth][events]") {
  CHECK(session_revoked_data("u", std::string("s"), std::nullopt, RevokeReason::logout, "T") ==
        R"({"userId":"u","sessionId":"s","reason":"LOGOUT","revokedAt":"T"})");
  CHECK(session_revoked_data("u", std::nullopt, std::string("k"), RevokeReason::password_changed, "T") ==
        R"({"userId":"u","exceptSessionId":"k","reason":"PASSWORD_CHANGED","revokedAt":"T"})");
  CHECK(to_string(RevokeReason::refresh_reuse) == "REFRESH_REUSE");
  CHECK(to_string(RevokeReason::role_changed) == "ROLE_CHANGED");
  CHECK(to_string(RevokeReason::user_deleted) == "USER_DELETED");
}

TEST_CASE("auth: USER_DELETED payloads without a valid userId are permanent failures", "[auth][events]") {
  rapidjson::Document ok;
  ok.Parse(R"({"userId":"0190f0f0-0000-7000-8000-000000000001","deletedAt":"T"})");
  CHECK(deleted_user_id(ok) == "0190f0f0-0000-7000-8000-000000000001");
  rapidjson::Document bad;
  bad.Parse(R"({"userId":"42"})");
  CHECK_THROWS_AS(deleted_user_id(bad), events::PermanentError);
}
