#pragma once
// The auth domain's vocabulary: roles, accounts, identities, and the validation rules of the
// fields clients send (e-mail, password, name). No HTTP or SQL types here.
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/core/http.hpp"

namespace shopmesh::auth {

enum class Role { user, admin };

/// "USER" | "ADMIN".
std::string_view to_string(Role role);
/// Parses "USER" | "ADMIN" (exact, upper case).
std::optional<Role> parse_role(std::string_view text);

/// An account as clients see it: `{id, email, name, role, createdAt}`.
struct Account {
  std::string id;
  std::string email;
  std::string name;
  Role role = Role::user;
  std::string created_at;  // RFC 3339 UTC with milliseconds
};

/// The JSON object of an account.
std::string account_json(const Account& account);

/// Who is calling: from the gateway's identity headers or from a bearer token auth verified.
struct Identity {
  std::string user_id;
  Role role = Role::user;
  std::string email;
  std::string session_id;  // the token's `sid`; empty when unknown
  bool is_admin() const { return role == Role::admin; }
};

/// Password length bounds, in Unicode code points.
inline constexpr std::size_t kPasswordMin = 8;
inline constexpr std::size_t kPasswordMax = 128;
/// Name length bounds, in Unicode code points, after trimming.
inline constexpr std::size_t kNameMax = 100;
/// RFC 5321 path limit.
inline constexpr std::size_t kEmailMax = 254;

/// Number of code points of valid UTF-8 text; nullopt when the bytes are not valid UTF-8.
using core::utf8_length;
/// Text without leading and trailing ASCII white space.
using core::trim;

/// Why an e-mail address is unacceptable, or nullopt. Expects trimmed input.
std::optional<std::string> email_problem(std::string_view email);
/// Why a password is unacceptable (length 8–128 code points, valid UTF-8), or nullopt.
std::optional<std::string> password_problem(std::string_view password);
/// Why a display name is unacceptable (1–100 code points, no control characters), or nullopt.
std::optional<std::string> name_problem(std::string_view name);

}  // namespace shopmesh::auth
