// Request bodies of the auth API: JSON and OAuth2 form login, field-level errors, ignored role.
#include <catch2/catch.hpp>

#include "../rejected.hpp"

#include "shopmesh/auth/requests.hpp"
#include "shopmesh/core/http.hpp"

using namespace shopmesh;
using namespace shopmesh::auth;

using shopmesh::testing::Fields;
using shopmesh::testing::rejected;

TEST_CASE("auth: register parses, trims and ignores a role in the body", "[auth][requests]") {
  auto r = parse_register(R"({"email":"  Ann@Example.com ","password":"s3cret-pass","name":" Ann ","role":"ADMIN"})");
  CHECK(r.email == "Ann@Example.com");
  CHECK(r.name == "Ann");
  CHECK(r.password == "s3cret-pass");
}

TEST_CASE("auth: register without a name (seed 003) takes the address's local part", "[auth][requests]") {
  auto r = parse_register(R"({"email":"reader.one@example.com","password":"s3cret-pass","role":"admin"})");
  CHECK(r.name == "reader.one");
  CHECK(parse_register(R"({"email":"a@b.example","password":"s3cret-pass","name":null})").name == "a");
}

TEST_CASE("auth: register names every bad field", "[auth][requests]") {
  auto [status, fields] = rejected([] { parse_register(R"({"email":"nope","password":"short","name":""})"); });
  CHECK(status == 400);
  CHECK(fields == std::vector<std::string>{"email", "password", "name"});
  auto missing = rejected([] { parse_register("{}"); });
  CHECK(missing.second == std::vector<std::string>{"email", "password"});  // name is optional
  auto types = rejected([] { parse_register(R"({"email":1,"password":true,"name":[]})"); });
  CHECK(types.second.size() == 3);
  CHECK(rejected([] { parse_register("not json"); }).first == 400);
  CHECK(rejected([] { parse_register("[]"); }).first == 400);
}

TEST_CASE("auth: login accepts JSON and the OAuth2 password form", "[auth][requests]") {
  auto json = parse_login("application/json; charset=utf-8", R"({"email":"a@b.co","password":"pw123456"})");
  CHECK(json.email == "a@b.co");
  CHECK(json.password == "pw123456");
  auto form =
      parse_login("application/x-www-form-urlencoded", "grant_type=password&username=a%40b.co&password=p%26w+123");
  CHECK(form.email == "a@b.co");
  CHECK(form.password == "p&w 123");
  auto username_json = parse_login("", R"({"username":"a@b.co","password":"x"})");
  CHECK(username_json.email == "a@b.co");
  CHECK(rejected([] {
          parse_login("application/x-www-form-urlencoded", "grant_type=client_credentials&username=a&password=b");
        }).second == std::vector<std::string>{"grant_type"});
  CHECK(rejected([] { parse_login("application/x-www-form-urlencoded", "username=a"); }).second ==
        std::vector<std::string>{"password"});
  CHECK(rejected([] { parse_login("text/plain", "a"); }).first == 415);
  // Not UTF-8, or a NUL: 400 naming the field, never a lookup that PostgreSQL refuses (500).
  CHECK(rejected([] { parse_login("application/x-www-form-urlencoded", "username=%ff%fe&password=x"); }).second ==
        std::vector<std::string>{"username"});
  CHECK(rejected([] { parse_login("application/x-www-form-urlencoded", "username=a&password=%00"); }).second ==
        std::vector<std::string>{"password"});
  CHECK(rejected([] { parse_login("application/json", "{\"email\":\"a\xff@b.co\",\"password\":\"x\"}"); }).first ==
        400);
  CHECK(rejected([] { parse_login("application/json", R"({"email":"","password":""})"); }).first == 400);
}

TEST_CASE("auth: refresh, verify, password change and role change bodies", "[auth][requests]") {
  CHECK(parse_refresh("application/json", R"({"refresh_token":"abc"})") == "abc");
  CHECK(parse_refresh("application/json", R"({"refreshToken":"abc"})") == "abc");
  CHECK(parse_refresh("application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=abc") == "abc");
  CHECK(rejected([] { parse_refresh("application/json", "{}"); }).second ==
        std::vector<std::string>{"refresh_token"});
  CHECK(parse_verify(R"({"token":"x.y.z"})") == "x.y.z");
  CHECK(rejected([] { parse_verify(R"({"token":""})"); }).first == 400);

  auto change = parse_password_change(R"({"currentPassword":"old-pass-1","newPassword":"new-pass-2"})");
  CHECK(change.current_password == "old-pass-1");
  CHECK(change.new_password == "new-pass-2");
  CHECK(rejected([] {
          parse_password_change(R"({"currentPassword":"old-pass-1","newPassword":"short"})");
        }).second == std::vector<std::string>{"newPassword"});
  CHECK(rejected([] {
          parse_password_change(R"({"currentPassword":"same-pass-1","newPassword":"same-pass-1"})");
        }).second == std::vector<std::string>{"newPassword"});

  CHECK(parse_role_change(R"({"role":"ADMIN"})") == Role::admin);
  CHECK(rejected([] { parse_role_change(R"({"role":"SUPER"})"); }).second == std::vector<std::string>{"role"});
  CHECK(parse_logout("", "") == "");
  CHECK(parse_logout("application/json", R"({"refresh_token":"r"})") == "r");
}
