// The users service on the real stack: profiles exist right after registration, access rules
// (self, admin, 404 for others), validation and mass assignment, admin listing and search, and
// deletion -> USER_DELETED -> auth refuses the account.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "../auth/identity_client.hpp"

using namespace shopmesh;
using namespace shopmesh::identity_test;
using shopmesh::testing::eventually;
using shopmesh::testing::stack_var;
using namespace std::chrono_literals;

TEST_CASE("users: the profile exists as soon as register returns", "[users]") {
  auto a = register_account("Prompt Profile");
  // Read as an admin (no create-on-read for other users' profiles): it must already be there.
  auto r = call("GET", users_url() + "/api/users/" + a.id, {}, as_admin());
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto p = json(r);
  CHECK(str(p, "id") == a.id);
  CHECK(str(p, "email") == a.email);
  CHECK(str(p, "name") == "Prompt Profile");
  CHECK(p["phone"].IsNull());
  CHECK(p["address"].IsNull());
  CHECK_FALSE(str(p, "createdAt").empty());
  CHECK_FALSE(str(p, "updatedAt").empty());
}

TEST_CASE("users: USER_REGISTERED is consumed by the users group (the safety net)", "[users]") {
  auto a = register_account();
  auto registered = identity_events("DATABASE_URL_AUTH", a.id, "USER_REGISTERED");
  REQUIRE(registered.size() == 1);
  const std::string event_id = registered[0].id;
  pqxx::connection c(stack_var("DATABASE_URL_USERS"));
  CHECK(eventually(
      [&] {
        pqxx::work tx(c);
        return !tx.exec_params("SELECT 1 FROM inbox WHERE consumer_group = 'users' AND event_id = $1", event_id)
                    .empty();
      },
      30s, 100ms));
}

TEST_CASE("users: me, self update, and another user's profile is 404", "[users]") {
  auto a = register_account("Self Service");
  auto b = register_account("Somebody Else");
  const auto me_headers = as_user(a.id, a.email);

  auto me = call("GET", users_url() + "/api/users/me", {}, me_headers);
  REQUIRE(me.status == 200);
  CHECK(str(json(me), "id") == a.id);
  CHECK(call("GET", users_url() + "/api/users/me").status == 401);

  auto patched = call(
      "PATCH", users_url() + "/api/users/me",
      R"({"phone":"+1 415 555 0123","address":{"line1":"1 Main St","city":"Springfield","postalCode":"94105","country":"us"}})",
      me_headers);
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  auto p = json(patched);
  CHECK(str(p, "name") == "Self Service");
  CHECK(str(p, "phone") == "+1 415 555 0123");
  CHECK(str(p["address"], "country") == "US");
  CHECK(p["address"]["line2"].IsNull());

  // Another user's profile: 404 whether or not it exists; invalid ids too.
  CHECK(call("GET", users_url() + "/api/users/" + b.id, {}, me_headers).status == 404);
  CHECK(call("GET", users_url() + "/api/users/" + core::uuid_v7(), {}, me_headers).status == 404);
  CHECK(call("PUT", users_url() + "/api/users/" + b.id, R"({"name":"Hijack"})", me_headers).status == 404);
  CHECK(call("GET", users_url() + "/api/users/not-a-uuid", {}, me_headers).status == 404);

  // PUT on one's own id replaces the editable profile: unset parts are cleared.
  auto put = call("PUT", users_url() + "/api/users/" + a.id, R"({"name":"Renamed"})", me_headers);
  REQUIRE(put.status == 200);
  auto replaced = json(put);
  CHECK(str(replaced, "name") == "Renamed");
  CHECK(replaced["phone"].IsNull());
  CHECK(replaced["address"].IsNull());
  CHECK(call("GET", users_url() + "/api/users/" + a.id, {}, me_headers).status == 200);

  // An admin may read and edit anyone.
  auto admin_put = call("PUT", users_url() + "/api/users/" + b.id, R"({"name":"Edited By Admin"})", as_admin());
  REQUIRE(admin_put.status == 200);
  CHECK(str(json(admin_put), "name") == "Edited By Admin");
}

TEST_CASE("users: validation and mass assignment are 400 naming the fields", "[users]") {
  auto a = register_account();
  const auto h = as_user(a.id, a.email);
  auto mass =
      call("PATCH", users_url() + "/api/users/me", R"({"email":"evil@x.io","role":"ADMIN","id":"x","name":"Ok"})", h);
  REQUIRE(mass.status == 400);
  auto problem = json(mass);
  CHECK(mass.header("content-type") == "application/problem+json");
  std::vector<std::string> fields;
  for (const auto& e : problem["errors"].GetArray()) fields.push_back(e["field"].GetString());
  CHECK(fields == std::vector<std::string>{"email", "role", "id"});

  auto bad = call("PATCH", users_url() + "/api/users/me",
                  R"({"phone":"call me","address":{"line1":"x","city":"y","postalCode":"#","country":"XX"}})", h);
  REQUIRE(bad.status == 400);
  const std::string body = bad.body;
  CHECK(body.find("\"field\":\"phone\"") != std::string::npos);
  CHECK(body.find("\"field\":\"address.postalCode\"") != std::string::npos);
  CHECK(body.find("\"field\":\"address.country\"") != std::string::npos);
  // Nothing was applied.
  CHECK(json(call("GET", users_url() + "/api/users/me", {}, h))["phone"].IsNull());
}

TEST_CASE("users: admin listing pages and searches, a USER gets 403", "[users]") {
  const std::string tag = "Needle" + core::uuid_v7().substr(28);
  auto a = register_account(tag + " One");
  auto b = register_account(tag + " Two");
  register_account("Unrelated Person");

  auto list = call("GET", users_url() + "/api/users?q=" + tag + "&limit=1&page=1", {}, as_admin());
  INFO(list.body);
  REQUIRE(list.status == 200);
  auto page = json(list);
  CHECK(page["total"].GetInt() == 2);
  CHECK(page["page"].GetInt() == 1);
  CHECK(page["limit"].GetInt() == 1);
  REQUIRE(page["items"].Size() == 1);
  CHECK(str(page["items"][0], "id") == b.id);  // newest first
  auto second = json(call("GET", users_url() + "/api/users?q=" + tag + "&limit=1&page=2", {}, as_admin()));
  REQUIRE(second["items"].Size() == 1);
  CHECK(str(second["items"][0], "id") == a.id);

  // By e-mail too (case-insensitive), and LIKE wildcards are literal.
  auto by_email =
      json(call("GET", users_url() + "/api/users?q=" + a.email.substr(0, a.email.find('@')), {}, as_admin()));
  CHECK(by_email["total"].GetInt() == 1);
  CHECK(json(call("GET", users_url() + "/api/users?q=%25%25%25" + tag, {}, as_admin()))["total"].GetInt() == 0);

  CHECK(call("GET", users_url() + "/api/users", {}, as_user(a.id, a.email)).status == 403);
  CHECK(call("GET", users_url() + "/api/users").status == 401);
  CHECK(call("GET", users_url() + "/api/users?limit=500", {}, as_admin()).status == 400);
}

TEST_CASE("users: admin deletes a user -> USER_DELETED -> the account can no longer log in", "[users]") {
  auto a = register_account("To Be Deleted");
  auto t = login(a.email, a.password);
  CHECK(call("DELETE", users_url() + "/api/users/" + a.id, {}, as_user(a.id, a.email)).status == 403);
  auto del = call("DELETE", users_url() + "/api/users/" + a.id, {}, as_admin());
  REQUIRE(del.status == 204);
  CHECK(call("GET", users_url() + "/api/users/" + a.id, {}, as_admin()).status == 404);
  CHECK(call("DELETE", users_url() + "/api/users/" + a.id, {}, as_admin()).status == 404);
  CHECK(identity_events("DATABASE_URL_USERS", a.id, "USER_DELETED").size() == 1);

  // Auth learns it from the event: logins fail with the ordinary 401, sessions are revoked.
  CHECK(eventually([&] { return login_raw(a.email, a.password).status == 401; }, 30s, 200ms));
  CHECK(refresh(t.refresh).status == 401);
  CHECK_FALSE(verify(t.access)["valid"].GetBool());
  CHECK(eventually([&] { return !identity_events("DATABASE_URL_AUTH", a.id, "SESSION_REVOKED").empty(); }, 10s));
  // The deleted profile is not brought back by a read with the old identity.
  CHECK(call("GET", users_url() + "/api/users/me", {}, as_user(a.id, a.email)).status == 404);
}

TEST_CASE("users: through the gateway with a bearer token", "[users][gateway]") {
  auto a = register_account("Gateway Reader", gateway_url());
  auto t = login(a.email, a.password, gateway_url());
  auto me = call("GET", gateway_url() + "/api/users/me", {}, bearer(t.access));
  INFO(me.body);
  REQUIRE(me.status == 200);
  CHECK(str(json(me), "id") == a.id);
  CHECK(call("GET", gateway_url() + "/api/users/me").status == 401);
  CHECK(call("GET", gateway_url() + "/api/users", {}, bearer(t.access)).status == 403);
  // Forged identity headers are stripped by the gateway.
  auto forged = call("GET", gateway_url() + "/api/users", {}, {{"X-User-Id", a.id}, {"X-User-Role", "ADMIN"}});
  CHECK(forged.status == 401);
}
