// The auth service on the real stack: registration, login (JSON and OAuth2 form), token
// verification, refresh rotation and reuse detection, logout, password and role changes, the
// JWKS, and the events it publishes through its outbox.
#include <catch2/catch.hpp>

#include "identity_client.hpp"
#include "shopmesh/core/jwt.hpp"

using namespace shopmesh;
using namespace shopmesh::identity_test;
using shopmesh::testing::eventually;
using shopmesh::testing::stack_var;

namespace {

std::string kid_of(const std::string& token) {
  auto header = core::jwt::base64url_decode(token.substr(0, token.find('.')));
  REQUIRE(header);
  rapidjson::Document d;
  d.Parse(header->c_str());
  return str(d, "kid");
}

// True when auth published an event of `type` for `key` whose data contains `needle`.
bool published_has(const std::string& key, const std::string& type, const std::string& needle) {
  for (const auto& e : identity_events("DATABASE_URL_AUTH", key, type))
    if (e.data.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("auth: register -> login -> me -> refresh rotation -> reuse revokes the family -> logout", "[auth]") {
  const std::string email = fresh_email();
  auto reg = call("POST", auth_url() + "/api/auth/register",
                  R"({"email":")" + email + R"(","password":"first-pass-1","name":"Ann Example","role":"ADMIN"})");
  INFO(reg.body);
  REQUIRE(reg.status == 201);
  auto user = json(reg);
  const std::string id = str(user, "id");
  CHECK(core::is_uuid(id));
  CHECK(str(user, "email") == email);
  CHECK(str(user, "name") == "Ann Example");
  CHECK(str(user, "role") == "USER");  // the role in the body is ignored
  CHECK_FALSE(str(user, "createdAt").empty());
  CHECK_FALSE(user.HasMember("password"));
  CHECK(reg.body.find("argon2") == std::string::npos);
  CHECK(reg.header("location") == "/api/users/" + id);

  auto first = login_raw(email, "first-pass-1");
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK(first.header("cache-control") == "no-store");
  auto body = json(first);
  CHECK(str(body, "token_type") == "bearer");
  CHECK(body["expires_in"].GetInt() == 900);
  CHECK(str(body["user"], "id") == id);
  const std::string access1 = str(body, "access_token");
  const std::string r1 = str(body, "refresh_token");

  // me: with the gateway's identity headers, and with the bearer token verified by auth itself.
  auto me = call("GET", auth_url() + "/api/auth/me", {}, as_user(id, email));
  REQUIRE(me.status == 200);
  CHECK(str(json(me), "email") == email);
  auto me_bearer = call("GET", auth_url() + "/api/auth/me", {}, bearer(access1));
  REQUIRE(me_bearer.status == 200);
  CHECK(str(json(me_bearer), "id") == id);
  auto anonymous = call("GET", auth_url() + "/api/auth/me");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("content-type") == "application/problem+json");
  CHECK_FALSE(anonymous.header("www-authenticate").empty());

  auto v1 = verify(access1);
  REQUIRE(v1["valid"].GetBool());
  CHECK(str(v1["claims"], "sub") == id);
  CHECK(str(v1["claims"], "role") == "USER");
  const std::string sid = str(v1["claims"], "sid");

  // Rotation: every refresh token works once and yields a new one in the same family.
  auto rot1 = refresh(r1);
  REQUIRE(rot1.status == 200);
  const std::string r2 = str(json(rot1), "refresh_token");
  CHECK(r2 != r1);
  CHECK(str(verify(str(json(rot1), "access_token"))["claims"], "sid") == sid);
  auto rot2 = refresh(r2);
  REQUIRE(rot2.status == 200);
  const std::string r3 = str(json(rot2), "refresh_token");

  // Reuse of a rotated token revokes the whole family: the newest token and the access tokens too.
  auto reuse = refresh(r1);
  CHECK(reuse.status == 401);
  CHECK(refresh(r3).status == 401);
  auto v_after = verify(access1);
  CHECK_FALSE(v_after["valid"].GetBool());
  CHECK(str(v_after, "reason") == "revoked");
  CHECK(published_has(id, "SESSION_REVOKED", "\"reason\":\"REFRESH_REUSE\""));
  CHECK(published_has(id, "SESSION_REVOKED", "\"sessionId\":\"" + sid + "\""));

  // A fresh session, ended by logout: its refresh token and access token stop working.
  auto t = login(email, "first-pass-1");
  CHECK(t.sid != sid);
  auto out = call("POST", auth_url() + "/api/auth/logout", {}, bearer(t.access));
  CHECK(out.status == 204);
  CHECK(refresh(t.refresh).status == 401);
  CHECK_FALSE(verify(t.access)["valid"].GetBool());
  CHECK(published_has(id, "SESSION_REVOKED", "\"sessionId\":\"" + t.sid + "\",\"reason\":\"LOGOUT\""));
  // Logging out again: the token is no longer valid.
  CHECK(call("POST", auth_url() + "/api/auth/logout", {}, bearer(t.access)).status == 401);
}

TEST_CASE("auth: logout with the gateway's identity headers ends exactly that session", "[auth]") {
  auto a = register_account();
  auto keep = login(a.email, a.password);
  auto end = login(a.email, a.password);
  Headers h = as_user(a.id, a.email);
  h.emplace_back("X-Session-Id", end.sid);
  CHECK(call("POST", auth_url() + "/api/auth/logout", {}, h).status == 204);
  CHECK(refresh(end.refresh).status == 401);
  CHECK(refresh(keep.refresh).status == 200);
  // Without a session header, the refresh token in the body names the session.
  auto third = login(a.email, a.password);
  CHECK(call("POST", auth_url() + "/api/auth/logout", R"({"refresh_token":")" + third.refresh + R"("})",
             as_user(a.id, a.email))
            .status == 204);
  CHECK(refresh(third.refresh).status == 401);
}

TEST_CASE("auth: duplicate e-mail is 409, case-insensitively, invalid fields are 400 by name", "[auth]") {
  auto a = register_account();
  std::string upper = a.email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto dup = call("POST", auth_url() + "/api/auth/register",
                  R"({"email":")" + upper + R"(","password":"another-pass","name":"Dup"})");
  CHECK(dup.status == 409);
  CHECK(dup.header("content-type") == "application/problem+json");

  auto bad =
      call("POST", auth_url() + "/api/auth/register", R"({"email":"not-an-email","password":"short","name":""})");
  REQUIRE(bad.status == 400);
  auto problem = json(bad);
  CHECK(problem["status"].GetInt() == 400);
  CHECK(problem.HasMember("requestId"));
  std::vector<std::string> fields;
  for (const auto& e : problem["errors"].GetArray()) fields.push_back(e["field"].GetString());
  CHECK(fields == std::vector<std::string>{"email", "password", "name"});

  CHECK(call("POST", auth_url() + "/api/auth/register", "{not json").status == 400);
  auto long_pw =
      call("POST", auth_url() + "/api/auth/register",
           R"({"email":")" + fresh_email() + R"(","password":")" + std::string(129, 'p') + R"(","name":"L"})");
  CHECK(long_pw.status == 400);
}

TEST_CASE("auth: OAuth2 password-grant form login", "[auth]") {
  auto a = register_account();
  auto r = call("POST", auth_url() + "/api/auth/login",
                "grant_type=password&username=" + a.email + "&password=" + a.password, {},
                "application/x-www-form-urlencoded");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r);
  CHECK(str(d, "token_type") == "bearer");
  CHECK(str(d["user"], "id") == a.id);
  auto wrong = call("POST", auth_url() + "/api/auth/login", "username=" + a.email + "&password=nope-nope", {},
                    "application/x-www-form-urlencoded");
  CHECK(wrong.status == 401);
}

TEST_CASE("auth: wrong password and unknown e-mail get the same 401", "[auth]") {
  auto a = register_account();
  auto wrong = login_raw(a.email, "wrong-password");
  auto unknown = login_raw(fresh_email("nobody"), "wrong-password");
  REQUIRE(wrong.status == 401);
  REQUIRE(unknown.status == 401);
  CHECK(str(json(wrong), "detail") == str(json(unknown), "detail"));
  CHECK(str(json(wrong), "title") == str(json(unknown), "title"));
  // Login is case-insensitive on the e-mail.
  std::string upper = a.email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(login_raw(upper, a.password).status == 200);
}

TEST_CASE("auth: password change keeps the current session and revokes the others", "[auth]") {
  auto a = register_account();
  auto current = login(a.email, a.password);
  auto other = login(a.email, a.password);
  auto wrong = call("PUT", auth_url() + "/api/auth/password",
                    R"({"currentPassword":"not-my-password","newPassword":"brand-new-pass"})", bearer(current.access));
  CHECK(wrong.status == 400);
  auto weak = call("PUT", auth_url() + "/api/auth/password",
                   R"({"currentPassword":")" + a.password + R"(","newPassword":"short"})", bearer(current.access));
  CHECK(weak.status == 400);
  auto ok =
      call("PUT", auth_url() + "/api/auth/password",
           R"({"currentPassword":")" + a.password + R"(","newPassword":"brand-new-pass"})", bearer(current.access));
  REQUIRE(ok.status == 204);
  CHECK(refresh(other.refresh).status == 401);
  CHECK_FALSE(verify(other.access)["valid"].GetBool());
  CHECK(verify(current.access)["valid"].GetBool());
  CHECK(refresh(current.refresh).status == 200);
  CHECK(login_raw(a.email, a.password).status == 401);
  CHECK(login_raw(a.email, "brand-new-pass").status == 200);
  CHECK(published_has(a.id, "SESSION_REVOKED",
                      "\"exceptSessionId\":\"" + current.sid + "\",\"reason\":\"PASSWORD_CHANGED\""));
}

TEST_CASE("auth: admin changes a role, a USER or a demoted admin gets 403, old tokens stop working", "[auth]") {
  auto admin = login(stack_var("ADMIN_EMAIL"), stack_var("ADMIN_PASSWORD"));
  CHECK(str(verify(admin.access)["claims"], "role") == "ADMIN");
  auto a = register_account();
  auto t = login(a.email, a.password);

  auto self_promote =
      call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"ADMIN"})", bearer(t.access));
  CHECK(self_promote.status == 403);
  CHECK(call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"ADMIN"})").status == 401);

  auto bad_role =
      call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"ROOT"})", bearer(admin.access));
  CHECK(bad_role.status == 400);
  auto unknown = call("PATCH", auth_url() + "/api/auth/users/" + core::uuid_v7() + "/role", R"({"role":"ADMIN"})",
                      bearer(admin.access));
  CHECK(unknown.status == 404);

  auto promoted =
      call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"ADMIN"})", bearer(admin.access));
  INFO(promoted.body);
  REQUIRE(promoted.status == 200);
  CHECK(str(json(promoted), "role") == "ADMIN");
  CHECK_FALSE(verify(t.access)["valid"].GetBool());  // sessions revoked so the new role takes effect
  CHECK(refresh(t.refresh).status == 401);
  CHECK(published_has(a.id, "SESSION_REVOKED", "\"reason\":\"ROLE_CHANGED\""));
  auto again = login(a.email, a.password);
  CHECK(str(verify(again.access)["claims"], "role") == "ADMIN");

  // The caller's role is read from the database: an identity that claims ADMIN without being a live
  // admin is refused, and so is a demoted admin whose token still says ADMIN.
  CHECK(call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"USER"})",
             as_user(core::uuid_v7(), "", "ADMIN"))
            .status == 403);
  const std::string admin_id = str(verify(admin.access)["claims"], "sub");
  auto demoted = call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"USER"})",
                      as_user(admin_id, "", "ADMIN"));
  REQUIRE(demoted.status == 200);
  CHECK(str(json(demoted), "role") == "USER");
  auto back = call("PATCH", auth_url() + "/api/auth/users/" + a.id + "/role", R"({"role":"ADMIN"})",
                   as_user(a.id, "", "ADMIN"));
  CHECK(back.status == 403);
  CHECK(str(verify(login(a.email, a.password).access)["claims"], "role") == "USER");
}

TEST_CASE("auth: USER_REGISTERED is committed with the account: published once register returned", "[auth]") {
  auto a = register_account("Outbox Check");
  // Everything auth had committed when register returned is on identity.events by now.
  auto registered = identity_events("DATABASE_URL_AUTH", a.id, "USER_REGISTERED");
  REQUIRE(registered.size() == 1);
  CHECK(registered[0].producer == "auth");
  CHECK(registered[0].key == a.id);
  CHECK(core::is_uuid(registered[0].id));
  rapidjson::Document data;
  data.Parse(registered[0].data.c_str());
  CHECK(str(data, "userId") == a.id);
  CHECK(str(data, "email") == a.email);
  CHECK(str(data, "name") == "Outbox Check");
  CHECK(str(data, "role") == "USER");
  CHECK(str(data, "registeredAt").back() == 'Z');
}

TEST_CASE("auth: the JWKS lists the kid of issued tokens, and verify reports why a token fails", "[auth]") {
  auto a = register_account();
  auto t = login(a.email, a.password);
  auto jwks = call("GET", auth_url() + "/api/auth/jwks.json");
  REQUIRE(jwks.status == 200);
  auto keys = core::jwt::parse_jwks(jwks.body);
  REQUIRE_FALSE(keys.empty());
  CHECK(keys.size() <= 2);
  CHECK(keys.front().kid() == kid_of(t.access));
  CHECK(jwks.body.find("\"d\"") == std::string::npos);

  CHECK(str(verify("garbage"), "reason") == "malformed");
  const std::string none = core::jwt::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                           core::jwt::base64url_encode(R"({"sub":"x"})") + ".";
  CHECK(str(verify(none), "reason") == "malformed");
  const std::string none_signed = core::jwt::base64url_encode(R"({"alg":"none","typ":"JWT","kid":"k"})") + "." +
                                  core::jwt::base64url_encode(R"({"sub":"x"})") + ".c2ln";
  CHECK(str(verify(none_signed), "reason") == "bad_algorithm");
  std::string tampered = t.access;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify(tampered)["valid"].GetBool());
  CHECK(call("POST", auth_url() + "/api/auth/verify", R"({})").status == 400);
}

TEST_CASE("auth: public routes work through the gateway, /api/auth/me with a bearer token", "[auth][gateway]") {
  auto a = register_account("Via Gateway", gateway_url());
  auto signed_in = login_raw(a.email, a.password, gateway_url());
  REQUIRE(signed_in.status == 200);
  CHECK_FALSE(signed_in.header("x-request-id").empty());
  const std::string access = str(json(signed_in), "access_token");
  auto me = call("GET", gateway_url() + "/api/auth/me", {}, bearer(access));
  INFO(me.body);
  CHECK(me.status == 200);
  CHECK(call("GET", gateway_url() + "/api/auth/jwks.json").status == 200);
  // Seed 001 compatibility: POST /api/users/login is rewritten to /api/auth/login.
  CHECK(call("POST", gateway_url() + "/api/users/login",
             R"({"email":")" + a.email + R"(","password":")" + a.password + R"("})")
            .status == 200);
}
