#include "shopmesh/core/caller.hpp"

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/text.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::core {

std::optional<Caller> caller_of(const Request& req) {
  const auto user = req.headers.get("X-User-Id");
  if (!user || user->empty()) return std::nullopt;
  if (!is_uuid(*user)) throw unauthenticated("The caller's identity is not valid.");
  Caller c;
  c.user_id = ascii_lower(std::string(*user));
  c.role = std::string(req.headers.get("X-User-Role").value_or(""));
  c.email = std::string(req.headers.get("X-User-Email").value_or(""));
  if (const auto sid = req.headers.get("X-Session-Id"); sid && is_uuid(*sid))
    c.session_id = ascii_lower(std::string(*sid));
  return c;
}

Caller require_caller(const Request& req) {
  auto c = caller_of(req);
  if (!c) throw unauthenticated();
  return std::move(*c);
}

Caller require_admin(const Request& req, std::string_view refusal) {
  Caller c = require_caller(req);
  if (!c.admin()) throw forbidden(std::string(refusal));
  return c;
}

}  // namespace shopmesh::core
