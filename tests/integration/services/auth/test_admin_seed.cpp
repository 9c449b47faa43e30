// Admin seeding at auth's start (AuthStore::seed_admin, what ADMIN_EMAIL/ADMIN_PASSWORD drive) on the
// stack's auth database: it creates the admin only when no live account has the address, and never
// promotes an account someone else registered, nor re-promotes a demoted admin.
#include <catch2/catch.hpp>
#include <cctype>

#include "../../../support/bus_fixture.hpp"
#include "identity_client.hpp"
#include "shopmesh/auth/passwords.hpp"
#include "shopmesh/auth/store.hpp"
#include "shopmesh/core/pg.hpp"

using namespace shopmesh;
using namespace shopmesh::identity_test;
using namespace std::chrono_literals;
using Seed = auth::AuthStore::SeedOutcome;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string role_of(const std::string& email) {
  return testing::kit::scalar<std::string>(
             testing::stack_var("DATABASE_URL_AUTH"),
             "SELECT role FROM credentials WHERE lower(email) = lower($1) AND deleted_at IS NULL", email)
      .value_or("");
}

}  // namespace

TEST_CASE("auth: admin seeding creates the admin once and never promotes an existing account", "[auth]") {
  testing::Infra infra;
  core::PgPool pool(testing::stack_var("DATABASE_URL_AUTH"), 1, 5s, infra.log);
  auth::AuthStore store(pool, events::Outbox("auth"));
  auth::Argon2Limiter limiter(1, 1, 5s);
  const auth::PasswordHasher hasher({}, limiter);  // the service's defaults: the account can log in
  int hashed = 0;
  auto seed = [&](const std::string& email, const std::string& password) {
    return store.seed_admin(email, "Seeded Admin", [&] {
      ++hashed;
      return hasher.hash(password);
    }, {});
  };

  // No account with the address: the admin is created, and a restart finds it.
  const std::string email = fresh_email("seeded");
  CHECK(seed(email, "seeded-admin-pass-1") == Seed::created);
  CHECK(role_of(email) == "ADMIN");
  CHECK(seed(email, "another-pass-2") == Seed::admin);
  CHECK(hashed == 1);
  auto admin = login(email, "seeded-admin-pass-1");
  CHECK(str(verify(admin.access)["claims"], "role") == "ADMIN");
  CHECK(login_raw(email, "another-pass-2").status == 401);  // a restart never resets the password

  // Someone registered the address first (or ADMIN_EMAIL was changed to theirs): never promoted,
  // in any letter case, and their password stays theirs.
  auto taken = register_account();
  CHECK(seed(taken.email, "seeded-admin-pass-1") == Seed::not_admin);
  CHECK(seed(upper(taken.email), "seeded-admin-pass-1") == Seed::not_admin);
  CHECK(role_of(taken.email) == "USER");
  CHECK(login_raw(taken.email, "seeded-admin-pass-1").status == 401);
  CHECK(str(verify(login(taken.email, taken.password).access)["claims"], "role") == "USER");

  // A demoted admin stays demoted across restarts.
  auto demoted = call("PATCH", auth_url() + "/api/auth/users/" + str(verify(admin.access)["claims"], "sub") + "/role",
                      R"({"role":"USER"})", bearer(login(testing::stack_var("ADMIN_EMAIL"), testing::stack_var("ADMIN_PASSWORD")).access));
  INFO(demoted.body);
  REQUIRE(demoted.status == 200);
  CHECK(seed(email, "seeded-admin-pass-1") == Seed::not_admin);
  CHECK(role_of(email) == "USER");
  CHECK(hashed == 1);
}
