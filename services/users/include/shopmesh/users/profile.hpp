#pragma once
// The users domain: profiles, their validation rules, list queries and JSON. No HTTP or SQL types.
//
// Mass assignment: a PATCH/PUT body may carry only name, phone and address. Read-only fields
// (id, email, role, createdAt, updatedAt) and unknown fields are rejected with 400 naming them,
// rather than silently ignored, so a client learns at once that they are not applied. The e-mail
// belongs to the account (auth) and is not changed here.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::users {

struct Address {
  std::string line1;
  std::optional<std::string> line2;
  std::string city;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case
};

struct Profile {
  std::string id;
  std::string email;
  std::string name;
  std::optional<std::string> phone;
  std::optional<Address> address;
  std::string created_at;
  std::string updated_at;
};

/// Who is calling, from the gateway's identity headers.
struct Caller {
  std::string user_id;
  std::string email;
  bool admin = false;
};

/// A change set: absent members are left alone; `phone`/`address` set to nullopt clear them.
struct ProfileChanges {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> phone;
  std::optional<std::optional<Address>> address;
};

/// PATCH body: any subset of {name, phone, address}; null clears phone or address.
ProfileChanges parse_patch(std::string_view body);
/// PUT body: the whole editable profile; `name` is required, a missing phone/address is cleared.
ProfileChanges parse_put(std::string_view body);

/// A new account's profile (POST /internal/users, USER_REGISTERED).
struct NewProfile {
  std::string id;
  std::string email;
  std::string name;
  std::string created_at;  // RFC 3339; empty: now
};
/// `{id, email, name, createdAt?}` (the account JSON auth returns; `role` is ignored).
NewProfile parse_new_profile(std::string_view body);

struct ListQuery {
  int page = 1;
  int limit = 20;
  std::optional<std::string> text;  // ?q= on name and e-mail
};
using ParamLookup = std::function<std::optional<std::string>(std::string_view)>;
/// `?page&limit&q` (limit 1–100, page ≥ 1); throws 400 naming each bad parameter.
ListQuery parse_list_query(const ParamLookup& param);

struct Page {
  std::vector<Profile> items;
  int page = 1;
  int limit = 20;
  std::int64_t total = 0;
};

std::string profile_json(const Profile& profile);
std::string page_json(const Page& page);

/// Why a value is unacceptable, or nullopt.
std::optional<std::string> name_problem(std::string_view name);
std::optional<std::string> phone_problem(std::string_view phone);
std::optional<std::string> postal_code_problem(std::string_view code);
/// True for an assigned ISO 3166-1 alpha-2 code (upper case).
bool is_country_code(std::string_view code);

/// The provisional name of a profile created from identity headers: the e-mail's local part.
std::string provisional_name(std::string_view email);

}  // namespace shopmesh::users
