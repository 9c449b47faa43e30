#pragma once
// Request bodies of the auth API, parsed and validated into typed structs. Bad input throws
// core::DomainError (400 naming every bad field, 415 for an unsupported media type).
#include <string>
#include <string_view>

#include "shopmesh/auth/account.hpp"

namespace shopmesh::auth {

struct RegisterRequest {
  std::string email;  // trimmed
  std::string password;
  std::string name;  // trimmed
};
/// `{email, password, name?}`; without a name, the e-mail's local part; any other member (e.g.
/// `role`) is ignored: registration never grants a role.
RegisterRequest parse_register(std::string_view body);

struct LoginRequest {
  std::string email;
  std::string password;
};
/// JSON `{email, password}`, or an OAuth2 password grant form `username=&password=`
/// (`grant_type`, when present, must be `password`).
LoginRequest parse_login(std::string_view content_type, std::string_view body);

/// JSON `{refresh_token}` (or `refreshToken`), or a form `grant_type=refresh_token&refresh_token=`.
std::string parse_refresh(std::string_view content_type, std::string_view body);

/// `{token}` of POST /api/auth/verify.
std::string parse_verify(std::string_view body);

struct PasswordChange {
  std::string current_password;
  std::string new_password;
};
/// `{currentPassword, newPassword}`; the new one must satisfy the password policy and differ.
PasswordChange parse_password_change(std::string_view body);

/// `{role: USER|ADMIN}`.
Role parse_role_change(std::string_view body);

/// Optional `{refresh_token}` of POST /api/auth/logout (empty body allowed); empty when absent.
std::string parse_logout(std::string_view content_type, std::string_view body);

/// True for application/x-www-form-urlencoded (parameters ignored, case-insensitive).
bool is_form(std::string_view content_type);

}  // namespace shopmesh::auth
