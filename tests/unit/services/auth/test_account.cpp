// Field rules of the auth API: e-mail, password policy, name, roles.
#include <catch2/catch.hpp>

#include "shopmesh/auth/account.hpp"

using namespace shopmesh::auth;

TEST_CASE("auth: e-mail addresses are validated", "[auth][validation]") {
  for (const char* ok : {"a@b.co", "first.last+tag@example.com", "x_y-z@sub.domain.example", "UPPER@EXAMPLE.COM"}) {
    INFO(ok);
    CHECK_FALSE(email_problem(ok));
  }
  for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com", "a@b..com", ".a@b.com",
                          "a.@b.com", "a..b@c.com", "a@-b.com", "a@b-.com", "a@b.com\n"}) {
    INFO(bad);
    CHECK(email_problem(bad));
  }
  CHECK(email_problem(std::string(65, 'a') + "@example.com"));
  CHECK(email_problem("a@" + std::string(250, 'b') + ".com"));
}

TEST_CASE("auth: passwords must have 8 to 128 characters, counted as code points", "[auth][validation]") {
  CHECK(password_problem("1234567"));
  CHECK_FALSE(password_problem("12345678"));
  CHECK_FALSE(password_problem(std::string(128, 'x')));
  CHECK(password_problem(std::string(129, 'x')));
  // 8 two-byte characters are 8 characters, not 16.
  CHECK_FALSE(password_problem("éééééééé"));
  CHECK(password_problem("ééééééé"));
  // 128 three-byte characters are allowed although they are 384 bytes.
  std::string long_utf8;
  for (int i = 0; i < 128; ++i) long_utf8 += "€";
  CHECK_FALSE(password_problem(long_utf8));
  CHECK(password_problem(long_utf8 + "€"));
  CHECK(password_problem("abcdefg\xff"));  // not UTF-8
}

TEST_CASE("auth: names have 1 to 100 characters and no control characters", "[auth][validation]") {
  CHECK(name_problem(""));
  CHECK_FALSE(name_problem("A"));
  CHECK_FALSE(name_problem(std::string(100, 'n')));
  CHECK(name_problem(std::string(101, 'n')));
  CHECK(name_problem("bad\tname"));
  CHECK_FALSE(name_problem("Zoë O'Brien"));
  CHECK(trim("  Ann  ") == "Ann");
}

TEST_CASE("auth: UTF-8 decoding rejects overlong forms and surrogates", "[auth][validation]") {
  CHECK(utf8_length("abc") == 3u);
  CHECK(utf8_length("日本") == 2u);
  CHECK_FALSE(utf8_length("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(utf8_length("\xed\xa0\x80"));      // U+D800
  CHECK_FALSE(utf8_length("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(utf8_length("\xe2\x82"));          // truncated
}

TEST_CASE("auth: roles parse exactly and render upper case", "[auth]") {
  CHECK(parse_role("USER") == Role::user);
  CHECK(parse_role("ADMIN") == Role::admin);
  CHECK_FALSE(parse_role("admin"));
  CHECK_FALSE(parse_role("ROOT"));
  CHECK(to_string(Role::admin) == "ADMIN");
  Account a{"0190f0f0-0000-7000-8000-000000000001", "a@b.co", "A", Role::user, "2026-01-01T00:00:00.000Z"};
  CHECK(
      account_json(a) ==
      R"({"id":"0190f0f0-0000-7000-8000-000000000001","email":"a@b.co","name":"A","role":"USER","createdAt":"2026-01-01T00:00:00.000Z"})");
}
