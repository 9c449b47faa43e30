// Per-account protection against password guessing (OWASP ASVS V2.2.1) on the real auth service:
// failures count per account whatever the address, lock with a growing delay, survive in the
// database, and a success resets them.
#include <catch2/catch.hpp>
#include <cctype>
#include <thread>

#include "identity_client.hpp"

using namespace shopmesh;
using namespace shopmesh::identity_test;
using namespace std::chrono_literals;

namespace {

long long failures_of(const std::string& email) {
  return testing::kit::scalar<long long>(testing::stack_var("DATABASE_URL_AUTH"),
                                         "SELECT failures FROM login_failures WHERE subject = lower($1)", email)
      .value_or(0);
}

std::string upper_first(std::string email) {
  email[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(email[0])));
  return email;
}

int retry_after(const core::HttpResult& r) {
  const auto v = r.header("retry-after");
  return v.empty() ? -1 : std::stoi(v);
}

}  // namespace

TEST_CASE("auth: 5 wrong passwords in a row lock the account's logins with a growing delay, a success resets",
          "[auth]") {
  auto a = register_account();
  for (int i = 0; i < 4; ++i) CHECK(login_raw(a.email, "wrong-pass-" + std::to_string(i)).status == 401);
  CHECK(failures_of(a.email) == 4);
  CHECK(login_raw(upper_first(a.email), "wrong-pass-4").status == 401);  // the 5th, in another letter case
  CHECK(failures_of(a.email) == 5);

  // Locked: even the right password waits, and no hashing is spent meanwhile.
  auto locked = login_raw(a.email, a.password);
  CHECK(locked.status == 429);
  CHECK(retry_after(locked) == 1);
  CHECK(locked.body.find("Too many failed attempts") != std::string::npos);
  std::this_thread::sleep_for(1100ms);
  CHECK(login_raw(a.email, "wrong-pass-5").status == 401);  // the 6th: 2 s this time
  auto longer = login_raw(a.email, "wrong-pass-6");
  CHECK(longer.status == 429);
  CHECK(retry_after(longer) == 2);
  CHECK(failures_of(a.email) == 6);  // attempts while locked are not checked, nor counted

  // Another account is not affected.
  auto b = register_account();
  login(b.email, b.password);

  std::this_thread::sleep_for(2100ms);
  login(a.email, a.password);
  CHECK(failures_of(a.email) == 0);
  CHECK(login_raw(a.email, "wrong-again").status == 401);  // a fresh run: no lock
  CHECK(login_raw(a.email, a.password).status == 200);

  // An address with no account is throttled the same way (a lock says nothing about accounts).
  const std::string nobody = fresh_email("nobody");
  for (int i = 0; i < 5; ++i) CHECK(login_raw(nobody, "wrong-pass").status == 401);
  CHECK(login_raw(nobody, "wrong-pass").status == 429);
}

TEST_CASE("auth: guessing the current password on a password change counts for the account", "[auth]") {
  auto a = register_account();
  auto t = login(a.email, a.password);
  const std::string wrong = R"({"currentPassword":"not-my-password","newPassword":"brand-new-pass"})";
  for (int i = 0; i < 5; ++i) CHECK(call("PUT", auth_url() + "/api/auth/password", wrong, bearer(t.access)).status == 400);
  auto locked = call("PUT", auth_url() + "/api/auth/password", wrong, bearer(t.access));
  CHECK(locked.status == 429);
  CHECK(retry_after(locked) >= 1);
  CHECK(login_raw(a.email, a.password).status == 429);  // the same account's logins wait too
}
