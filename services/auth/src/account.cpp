#include "shopmesh/auth/account.hpp"

#include <cstdint>

#include "shopmesh/core/json.hpp"

namespace shopmesh::auth {
namespace {

bool has_control(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool valid_domain_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (unsigned char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c >= 0x80;
    if (!ok) return false;
  }
  return true;
}

bool valid_local_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) return true;
  for (char allowed : std::string_view("!#$%&'*+/=?^_`{|}~.-"))
    if (c == static_cast<unsigned char>(allowed)) return true;
  return false;
}

}  // namespace

std::string_view to_string(Role role) {
  return role == Role::admin ? "ADMIN" : "USER";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "USER") return Role::user;
  if (text == "ADMIN") return Role::admin;
  return std::nullopt;
}

std::string account_json(const Account& a) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "id", a.id);
  core::json::kv(w, "email", a.email);
  core::json::kv(w, "name", a.name);
  core::json::kv(w, "role", to_string(a.role));
  core::json::kv(w, "createdAt", a.created_at);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::optional<std::string> email_problem(std::string_view email) {
  if (email.empty()) return "must not be empty";
  if (email.size() > kEmailMax) return "must be at most 254 characters";
  if (!utf8_length(email)) return "must be valid UTF-8";
  if (has_control(email)) return "must not contain control characters";
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || email.find('@') != at) return "must be an e-mail address like name@example.com";
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) return "must have 1 to 64 characters before the @";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return "must be an e-mail address like name@example.com";
  for (unsigned char c : local)
    if (!valid_local_char(c)) return "must be an e-mail address like name@example.com";
  if (domain.empty() || domain.find('.') == std::string_view::npos)
    return "must have a domain with a dot, like example.com";
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    if (!valid_domain_label(domain.substr(start, dot - start))) return "must have a valid domain, like example.com";
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::string> password_problem(std::string_view password) {
  const auto length = utf8_length(password);
  if (!length) return "must be valid UTF-8";
  if (*length < kPasswordMin || *length > kPasswordMax) return "must be between 8 and 128 characters";
  return std::nullopt;
}

std::optional<std::string> name_problem(std::string_view name) {
  const auto length = utf8_length(name);
  if (!length) return "must be valid UTF-8";
  if (*length == 0) return "must not be empty";
  if (*length > kNameMax) return "must be at most 100 characters";
  if (has_control(name)) return "must not contain control characters";
  return std::nullopt;
}

}  // namespace shopmesh::auth
