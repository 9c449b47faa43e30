// Profile validation: PATCH/PUT bodies, mass assignment, phone, postal code, country, paging.
#include <catch2/catch.hpp>
#include <map>

#include "shopmesh/core/http.hpp"
#include "shopmesh/users/profile.hpp"

using namespace shopmesh;
using namespace shopmesh::users;

namespace {

std::map<std::string, std::string> field_errors(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::DomainError& e) {
    CHECK(core::status_of(e.fault()) == 400);
    std::map<std::string, std::string> out;
    for (const auto& err : e.errors()) out[err.field] = err.message;
    return out;
  }
  FAIL("no DomainError thrown");
  return {};
}

}  // namespace

TEST_CASE("users: PATCH changes only what it names, null clears", "[users][profile]") {
  auto c = parse_patch(R"({"phone":"+1 (415) 555-0123"})");
  CHECK_FALSE(c.name);
  REQUIRE(c.phone);
  CHECK(**c.phone == "+1 (415) 555-0123");
  CHECK_FALSE(c.address);

  auto cleared = parse_patch(R"({"phone":null,"address":null})");
  REQUIRE(cleared.phone);
  CHECK_FALSE(cleared.phone->has_value());
  REQUIRE(cleared.address);
  CHECK_FALSE(cleared.address->has_value());

  auto full = parse_patch(
      R"({"name":" Ann ","address":{"line1":"1 Main St","line2":"","city":"Springfield","postalCode":"sw1a 1aa","country":"gb"}})");
  CHECK(*full.name == "Ann");
  REQUIRE(full.address);
  REQUIRE(full.address->has_value());
  const Address& a = **full.address;
  CHECK(a.line1 == "1 Main St");
  CHECK_FALSE(a.line2);
  CHECK(a.postal_code == "SW1A 1AA");
  CHECK(a.country == "GB");
}

TEST_CASE("users: PUT replaces the editable profile: name required, missing parts cleared", "[users][profile]") {
  auto c = parse_put(R"({"name":"Bob"})");
  CHECK(*c.name == "Bob");
  REQUIRE(c.phone);
  CHECK_FALSE(c.phone->has_value());
  REQUIRE(c.address);
  CHECK_FALSE(c.address->has_value());
  CHECK(field_errors([] { parse_put(R"({"phone":"+14155550123"})"); }).count("name") == 1);
}

TEST_CASE("users: read-only and unknown fields are rejected by name (mass assignment)", "[users][profile]") {
  auto errors = field_errors([] {
    parse_patch(R"({"id":"x","email":"e@x.io","role":"ADMIN","createdAt":"t","updatedAt":"t","isAdmin":true})");
  });
  CHECK(errors["id"] == "is read-only");
  CHECK(errors["email"] == "is read-only");
  CHECK(errors["role"] == "is read-only");
  CHECK(errors["createdAt"] == "is read-only");
  CHECK(errors["updatedAt"] == "is read-only");
  CHECK(errors["isAdmin"] == "is not a known field");
  CHECK(field_errors([] { parse_put(R"({"name":"A","role":"ADMIN"})"); }).count("role") == 1);
}

TEST_CASE("users: address fields are validated with dotted field names", "[users][profile]") {
  auto errors = field_errors(
      [] { parse_patch(R"({"address":{"line1":"","city":"X","postalCode":"!!","country":"XX","zip":"1"}})"); });
  CHECK(errors.count("address.line1") == 1);
  CHECK(errors.count("address.postalCode") == 1);
  CHECK(errors.count("address.country") == 1);
  CHECK(errors.count("address.zip") == 1);
  CHECK(errors.count("address.city") == 0);
  CHECK(field_errors([] { parse_patch(R"({"address":"somewhere"})"); }).count("address") == 1);
  CHECK(field_errors([] { parse_patch(R"({"name":""})"); }).count("name") == 1);
  CHECK(field_errors([] { parse_patch(R"({"name":7})"); }).count("name") == 1);
}

TEST_CASE("users: phone numbers", "[users][profile]") {
  for (const char* ok : {"+14155550123", "+49 30 1234567", "(415) 555-0123", "030.1234.567", "1234567"}) {
    INFO(ok);
    CHECK_FALSE(phone_problem(ok));
  }
  for (const char* bad : {"123456", "+1234567890123456", "phone", "+1 415 555 0123 ext 4", "1+234567",
                          "12345678901234567890123456789012345"}) {
    INFO(bad);
    CHECK(phone_problem(bad));
  }
}

TEST_CASE("users: postal codes and ISO 3166-1 alpha-2 countries", "[users][profile]") {
  for (const char* ok : {"94105", "SW1A 1AA", "10115", "K1A 0B1", "1010-001", "AB"})
    CHECK_FALSE(postal_code_problem(ok));
  for (const char* bad : {"", "1", "12345678901", "-1234", "1234-", "12_34", "12$4"}) CHECK(postal_code_problem(bad));
  for (const char* ok : {"US", "DE", "GB", "FR", "JP", "BR", "ZA", "AX", "SS"}) CHECK(is_country_code(ok));
  for (const char* bad : {"UK", "XX", "EU", "us", "USA", "", "ZZ"}) CHECK_FALSE(is_country_code(bad));
}

TEST_CASE("users: list query paging and search", "[users][profile]") {
  auto from = [](std::map<std::string, std::string> params) {
    return [params](std::string_view name) -> std::optional<std::string> {
      auto it = params.find(std::string(name));
      if (it == params.end()) return std::nullopt;
      return it->second;
    };
  };
  auto q = parse_list_query(from({}));
  CHECK(q.page == 1);
  CHECK(q.limit == 20);
  CHECK_FALSE(q.text);
  q = parse_list_query(from({{"page", "3"}, {"limit", "100"}, {"q", " ann "}}));
  CHECK(q.page == 3);
  CHECK(q.limit == 100);
  CHECK(*q.text == "ann");
  auto errors = field_errors([&] { parse_list_query(from({{"page", "0"}, {"limit", "101"}})); });
  CHECK(errors.count("page") == 1);
  CHECK(errors.count("limit") == 1);
  CHECK(field_errors([&] { parse_list_query(from({{"limit", "ten"}})); }).count("limit") == 1);
}

TEST_CASE("users: profile JSON has every field, null when unset", "[users][profile]") {
  Profile p;
  p.id = "0190f0f0-0000-7000-8000-000000000001";
  p.email = "ann@example.com";
  p.name = "Ann";
  p.created_at = "2026-01-01T00:00:00.000Z";
  p.updated_at = "2026-01-02T00:00:00.000Z";
  CHECK(
      profile_json(p) ==
      R"({"id":"0190f0f0-0000-7000-8000-000000000001","email":"ann@example.com","name":"Ann","phone":null,"address":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-02T00:00:00.000Z"})");
  p.address = Address{"1 Main St", std::nullopt, "Springfield", "12345", "US"};
  CHECK(
      profile_json(p).find(
          R"("address":{"line1":"1 Main St","line2":null,"city":"Springfield","postalCode":"12345","country":"US"})") !=
      std::string::npos);
  Page page;
  page.items.push_back(p);
  page.total = 1;
  CHECK(page_json(page).find(R"("page":1,"limit":20,"total":1)") != std::string::npos);
}

TEST_CASE("users: internal profile creation body", "[users][profile]") {
  auto p = parse_new_profile(
      R"({"id":"0190F0F0-0000-7000-8000-000000000001","email":"a@b.co","name":"A","role":"USER","createdAt":"2026-01-01T00:00:00.000Z"})");
  CHECK(p.id == "0190f0f0-0000-7000-8000-000000000001");
  CHECK(p.created_at == "2026-01-01T00:00:00.000Z");
  CHECK(parse_new_profile(
            R"({"id":"0190f0f0-0000-7000-8000-000000000001","email":"a@b.co","name":"A","createdAt":"yesterday"})")
            .created_at.empty());
  CHECK(field_errors([] { parse_new_profile(R"({"id":"1","email":"x","name":""})"); }).size() == 3);
  CHECK(provisional_name("ann.lee@example.com") == "ann.lee");
}
