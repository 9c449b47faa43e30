#include "shopmesh/auth/requests.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/json.hpp"

namespace shopmesh::auth {
namespace {

using core::FieldError;

std::string media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string type(content_type.substr(0, semi));
  type = trim(type);
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type;
}

bool is_json(std::string_view content_type) {
  const std::string type = media_type(content_type);
  return type.empty() || type == "application/json" || (type.starts_with("application/") && type.ends_with("+json"));
}

void require_json(std::string_view content_type) {
  if (!is_json(content_type))
    throw core::unsupported("Send the body as application/json.",
                            {{"Content-Type", "must be application/json"}});
}

// A string member: absent -> "is required", wrong type -> "must be a string".
std::optional<std::string> string_field(const rapidjson::Value& body, const char* name, std::vector<FieldError>& errors,
                                        const char* reported_as = nullptr) {
  const char* field = reported_as != nullptr ? reported_as : name;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) {
    errors.push_back({field, "is required"});
    return std::nullopt;
  }
  if (!it->value.IsString()) {
    errors.push_back({field, "must be a string"});
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

void finish(const std::vector<FieldError>& errors) {
  if (!errors.empty()) throw core::invalid("The request has invalid fields.", errors);
}

std::optional<std::string> form_field(std::string_view body, const char* name, std::vector<FieldError>& errors) {
  auto value = core::strict_query_param(body, name);
  if (!value || value->empty()) {
    errors.push_back({name, "is required"});
    return std::nullopt;
  }
  return value;
}

}  // namespace

bool is_form(std::string_view content_type) {
  return media_type(content_type) == "application/x-www-form-urlencoded";
}

RegisterRequest parse_register(std::string_view body) {
  auto doc = core::json::parse_object(body);
  std::vector<FieldError> errors;
  RegisterRequest r;
  if (auto email = string_field(doc, "email", errors)) {
    r.email = trim(*email);
    if (auto problem = email_problem(r.email)) errors.push_back({"email", *problem});
  }
  if (auto password = string_field(doc, "password", errors)) {
    r.password = std::move(*password);
    if (auto problem = password_problem(r.password)) errors.push_back({"password", *problem});
  }
  // `name` may be left out, as seed 003's clients do ({email, password, role}): the address's
  // local part stands in (the profile's name can be changed later).
  if (auto it = doc.FindMember("name"); it == doc.MemberEnd() || it->value.IsNull()) {
    if (const auto at = r.email.find('@'); at != std::string::npos && at > 0)
      r.name = r.email.substr(0, std::min<std::size_t>(at, 100));
  } else if (auto name = string_field(doc, "name", errors)) {
    r.name = trim(*name);
    if (auto problem = name_problem(r.name)) errors.push_back({"name", *problem});
  }
  finish(errors);
  return r;
}

LoginRequest parse_login(std::string_view content_type, std::string_view body) {
  std::vector<FieldError> errors;
  LoginRequest r;
  if (is_form(content_type)) {
    if (auto grant = core::strict_query_param(body, "grant_type"); grant && !grant->empty() && *grant != "password")
      errors.push_back({"grant_type", "must be password"});
    if (auto user = form_field(body, "username", errors)) r.email = trim(*user);
    if (auto password = form_field(body, "password", errors)) r.password = std::move(*password);
    finish(errors);
    return r;
  }
  require_json(content_type);
  auto doc = core::json::parse_object(body);
  // Seed clients send {username, password} as JSON too; email wins when both are present.
  const char* email_key = doc.HasMember("email") || !doc.HasMember("username") ? "email" : "username";
  if (auto email = string_field(doc, email_key, errors, "email")) r.email = trim(*email);
  if (auto password = string_field(doc, "password", errors)) r.password = std::move(*password);
  if (errors.empty() && r.email.empty()) errors.push_back({"email", "must not be empty"});
  if (errors.empty() && r.password.empty()) errors.push_back({"password", "must not be empty"});
  finish(errors);
  return r;
}

std::string parse_refresh(std::string_view content_type, std::string_view body) {
  std::vector<FieldError> errors;
  if (is_form(content_type)) {
    if (auto grant = core::strict_query_param(body, "grant_type"); grant && !grant->empty() && *grant != "refresh_token")
      errors.push_back({"grant_type", "must be refresh_token"});
    auto token = form_field(body, "refresh_token", errors);
    finish(errors);
    return *token;
  }
  require_json(content_type);
  auto doc = core::json::parse_object(body);
  const char* key = doc.HasMember("refresh_token") || !doc.HasMember("refreshToken") ? "refresh_token" : "refreshToken";
  auto token = string_field(doc, key, errors, "refresh_token");
  if (token && token->empty()) errors.push_back({"refresh_token", "must not be empty"});
  finish(errors);
  return *token;
}

std::string parse_verify(std::string_view body) {
  auto doc = core::json::parse_object(body);
  std::vector<FieldError> errors;
  auto token = string_field(doc, "token", errors);
  if (token && token->empty()) errors.push_back({"token", "must not be empty"});
  finish(errors);
  return *token;
}

PasswordChange parse_password_change(std::string_view body) {
  auto doc = core::json::parse_object(body);
  std::vector<FieldError> errors;
  PasswordChange r;
  if (auto current = string_field(doc, "currentPassword", errors)) {
    r.current_password = std::move(*current);
    if (r.current_password.empty()) errors.push_back({"currentPassword", "must not be empty"});
  }
  if (auto next = string_field(doc, "newPassword", errors)) {
    r.new_password = std::move(*next);
    if (auto problem = password_problem(r.new_password))
      errors.push_back({"newPassword", *problem});
    else if (r.new_password == r.current_password)
      errors.push_back({"newPassword", "must differ from the current password"});
  }
  finish(errors);
  return r;
}

Role parse_role_change(std::string_view body) {
  auto doc = core::json::parse_object(body);
  std::vector<FieldError> errors;
  auto text = string_field(doc, "role", errors);
  std::optional<Role> role;
  if (text) {
    role = parse_role(*text);
    if (!role) errors.push_back({"role", "must be USER or ADMIN"});
  }
  finish(errors);
  return *role;
}

std::string parse_logout(std::string_view content_type, std::string_view body) {
  if (trim(body).empty()) return {};
  if (is_form(content_type)) return core::strict_query_param(body, "refresh_token").value_or("");
  require_json(content_type);
  auto doc = core::json::parse_object(body);
  auto it = doc.FindMember("refresh_token");
  if (it == doc.MemberEnd() || it->value.IsNull()) return {};
  if (!it->value.IsString())
    throw core::invalid("The request has invalid fields.", {{"refresh_token", "must be a string"}});
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace shopmesh::auth
