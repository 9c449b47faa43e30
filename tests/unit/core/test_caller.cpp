#include <catch2/catch.hpp>

#include "shopmesh/core/caller.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/text.hpp"

using namespace shopmesh::core;

namespace {

Request with(std::initializer_list<std::pair<const char*, const char*>> headers) {
  Request req;
  for (const auto& [name, value] : headers) req.headers.add(name, value);
  return req;
}

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DomainError& e) {
    return shopmesh::core::status_of(e.fault());
  }
  return 0;
}

}  // namespace

TEST_CASE("caller: the gateway's identity headers, the user id and session id lower-cased", "[caller]") {
  const auto c = caller_of(with({{"X-User-Id", "0192F000-0000-7000-8000-00000000ABCD"},
                                 {"X-User-Role", "ADMIN"},
                                 {"X-User-Email", "a@example.com"},
                                 {"X-Session-Id", "0192F000-0000-7000-8000-0000000000EF"}}));
  REQUIRE(c);
  CHECK(c->user_id == "0192f000-0000-7000-8000-00000000abcd");
  CHECK(c->role == "ADMIN");
  CHECK(c->admin());
  CHECK(c->email == "a@example.com");
  CHECK(c->session_id == "0192f000-0000-7000-8000-0000000000ef");
}

TEST_CASE("caller: none, not a UUID, not an admin", "[caller]") {
  CHECK_FALSE(caller_of(with({})));
  CHECK_FALSE(caller_of(with({{"X-User-Id", ""}})));
  CHECK(status_of([] { require_caller(with({})); }) == 401);
  CHECK(status_of([] { caller_of(with({{"X-User-Id", "42"}})); }) == 401);
  const auto user = with({{"X-User-Id", "0192f000-0000-7000-8000-00000000abcd"}, {"X-User-Role", "USER"}});
  CHECK_FALSE(require_caller(user).admin());
  CHECK(status_of([&] { require_admin(user, "no"); }) == 403);
  CHECK(status_of([] { require_admin(with({}), "no"); }) == 401);
  // A session id that is not a UUID is dropped, not trusted.
  CHECK(caller_of(with({{"X-User-Id", "0192f000-0000-7000-8000-00000000abcd"}, {"X-Session-Id", "x"}}))
            ->session_id.empty());
}

TEST_CASE("text: trim and ascii_lower", "[text]") {
  CHECK(trim(" \t\r\n\f\vword  x \n") == "word  x");
  CHECK(trim("   ").empty());
  CHECK(trim("").empty());
  CHECK(ascii_lower("AbC-Ü") == "abc-Ü");
}
