// Identity inside the mesh (issue #19 item 4): every service answers only requests signed with the
// mesh key (X-Mesh-Auth); its /health and /metrics probes stay open. Straight to the services'
// ports of the running stack, as a process on the same network would call them.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/mesh_auth.hpp"
#include "shopmesh/core/uuid.hpp"
#include "stack_env.hpp"

using namespace shopmesh;
using shopmesh::testing::stack_var;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

const char* const kServices[] = {"AUTH_URL",   "USERS_URL", "PRODUCTS_URL", "CART_URL",
                                 "ORDERS_URL", "STOCK_URL", "SHIPPING_URL", "NOTIFICATION_URL"};

core::HttpResult call(const std::string& method, const std::string& url, Headers headers,
                      const core::MeshAuth* mesh = nullptr, std::string body = {}) {
  core::HttpCall c;
  c.method = method;
  c.url = url;
  c.headers = std::move(headers);
  c.body = std::move(body);
  if (!c.body.empty()) c.headers.emplace_back("Content-Type", "application/json");
  c.timeout = std::chrono::seconds(5);
  c.mesh = mesh;
  return core::http_call(c);
}

Headers as_admin() {
  return {{"X-User-Id", core::uuid_v7()}, {"X-User-Role", "ADMIN"}, {"X-User-Email", "ops@it.shopmesh.test"}};
}

}  // namespace

TEST_CASE("mesh: every service refuses a request without a credential, and keeps its probes open", "[mesh]") {
  for (const char* var : kServices) {
    INFO(var);
    const std::string base = stack_var(var);
    auto refused = call("GET", base + "/api/anything", as_admin());
    CHECK(refused.status == 401);
    CHECK(refused.header("www-authenticate") == "Mesh");
    CHECK(refused.header("content-type") == "application/problem+json");
    // A route that does not exist is not told apart from one that does.
    CHECK(call("POST", base + "/internal/nothing-here", {}).status == 401);
    CHECK(call("GET", base + "/health", {}).status == 200);
    CHECK(call("GET", base + "/metrics", {}).status == 200);
  }
}

TEST_CASE("mesh: identity headers count only under a credential that binds them", "[mesh]") {
  const std::string users = stack_var("USERS_URL");
  const auto& mesh = testing::mesh();
  // Signed: the admin listing answers.
  CHECK(call("GET", users + "/api/users", as_admin(), &mesh).status == 200);
  // Signed without identity, then identity added: refused.
  Headers forged = as_admin();
  forged.emplace_back("X-Mesh-Auth", mesh.sign("GET", "/api/users", {}));
  CHECK(call("GET", users + "/api/users", forged).status == 401);
  // Signed as a USER, the role raised afterwards: refused.
  const std::string id = core::uuid_v7();
  Headers raised{{"X-User-Id", id}, {"X-User-Role", "ADMIN"}};
  raised.emplace_back("X-Mesh-Auth", mesh.sign("GET", "/api/users", {id, "USER", "", ""}));
  CHECK(call("GET", users + "/api/users", raised).status == 401);
  // A valid credential for another target: refused.
  Headers elsewhere = as_admin();
  elsewhere.emplace_back("X-Mesh-Auth", mesh.sign("GET", "/api/users?page=2", core::MeshIdentity{}));
  CHECK(call("GET", users + "/api/users", elsewhere).status == 401);
  // A second X-User-Id beside a valid credential for the first: refused.
  Headers twice = as_admin();
  const std::string first = twice.front().second;
  twice.emplace_back("X-Mesh-Auth",
                     mesh.sign("GET", "/api/users", {first, "ADMIN", "ops@it.shopmesh.test", ""}));
  CHECK(call("GET", users + "/api/users", twice).status == 200);
  twice.emplace_back("X-User-Id", core::uuid_v7());
  CHECK(call("GET", users + "/api/users", twice).status == 401);
}

TEST_CASE("mesh: a credential under another key or past its expiry is refused", "[mesh]") {
  const std::string stock = stack_var("STOCK_URL");
  const core::MeshAuth stranger("products", {"an-attacker-chose-this-key-0123456789"});
  const std::string target = "/internal/stock/" + core::uuid_v7() + "/adjust";
  CHECK(call("POST", stock + target, {}, &stranger, R"({"delta": 5})").status == 401);
  Headers expired{{"X-Mesh-Auth", testing::mesh().sign("POST", target, {}, std::chrono::seconds(-2))}};
  CHECK(call("POST", stock + target, expired, nullptr, R"({"delta": 5})").status == 401);
  // Signed with the stack's key: past the credential, the stock service answers (404: no such level).
  CHECK(call("POST", stock + target, {}, &testing::mesh(), R"({"delta": 5})").status == 404);
}
