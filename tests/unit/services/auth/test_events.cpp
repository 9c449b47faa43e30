// Identity events auth publishes go out through their generated contracts: the same bytes the
// contracts (contracts/events) describe.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "shopmesh/auth/identity_events.hpp"
#include "shopmesh/contracts/user_deleted_v1.hpp"

using namespace shopmesh;
using namespace shopmesh::auth;

TEST_CASE("auth: USER_REGISTERED carries the new account", "[auth][events]") {
  Account a{"0190f0f0-0000-7000-8000-000000000001", "ann@example.com", "Ann", Role::user, "2026-01-01T00:00:00.000Z"};
  CHECK(
      contracts::to_json(user_registered(a)) ==
      R"({"userId":"0190f0f0-0000-7000-8000-000000000001","email":"ann@example.com","name":"Ann","role":"USER","registeredAt":"2026-01-01T00:00:00.000Z"})");
  a.role = Role::admin;
  CHECK(user_registered(a).role == contracts::UserRegisteredV1Role::kAdmin);
}

TEST_CASE("auth: SESSION_REVOKED omits absent session fields", "[auth][events]") {
  const std::string user = "0190f0f0-0000-7000-8000-000000000001";
  CHECK(contracts::to_json(session_revoked(user, std::string("s"), std::nullopt, RevokeReason::logout, "T")) ==
        R"({"userId":")" + user + R"(","sessionId":"s","reason":"LOGOUT","revokedAt":"T"})");
  CHECK(
      contracts::to_json(session_revoked(user, std::nullopt, std::string("k"), RevokeReason::password_changed, "T")) ==
      R"({"userId":")" + user + R"(","exceptSessionId":"k","reason":"PASSWORD_CHANGED","revokedAt":"T"})");
  CHECK(session_revoked(user, std::nullopt, std::nullopt, RevokeReason::refresh_reuse, "T").reason ==
        contracts::SessionRevokedV1Reason::kRefreshReuse);
  CHECK(session_revoked(user, std::nullopt, std::nullopt, RevokeReason::role_changed, "T").reason ==
        contracts::SessionRevokedV1Reason::kRoleChanged);
  CHECK(session_revoked(user, std::nullopt, std::nullopt, RevokeReason::user_deleted, "T").reason ==
        contracts::SessionRevokedV1Reason::kUserDeleted);
  CHECK(to_string(RevokeReason::role_changed) == "ROLE_CHANGED");
}

TEST_CASE("auth: USER_DELETED payloads without a valid userId do not decode", "[auth][events]") {
  rapidjson::Document ok;
  ok.Parse(R"({"userId":"0190f0f0-0000-7000-8000-000000000001","deletedAt":"2026-01-01T00:00:00.000Z"})");
  auto decoded = contracts::from_json<contracts::UserDeletedV1>(ok);
  REQUIRE(decoded.ok());
  CHECK(decoded.value->user_id.value == "0190f0f0-0000-7000-8000-000000000001");
  rapidjson::Document bad;
  bad.Parse(R"({"userId":"42","deletedAt":"2026-01-01T00:00:00.000Z"})");
  CHECK_FALSE(contracts::from_json<contracts::UserDeletedV1>(bad).ok());
}
