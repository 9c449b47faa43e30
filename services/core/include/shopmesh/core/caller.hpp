#pragma once
// Who is calling a service: the identity the gateway verified and forwards (X-User-Id,
// X-User-Role, X-User-Email, X-Session-Id). The gateway strips clients' copies of these headers
// and the mesh credential covers them (mesh_auth.hpp), so a service takes them as given.
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::core {

struct Request;

struct Caller {
  std::string user_id;     // a UUID, lower case
  std::string role;        // as forwarded ("ADMIN", "USER"); empty when absent
  std::string email;       // empty when absent
  std::string session_id;  // a UUID, lower case; empty when absent or not a UUID
  bool admin() const { return role == "ADMIN"; }
};

/// The caller, or nullopt when the request names none. An X-User-Id that is not a UUID is a 401.
std::optional<Caller> caller_of(const Request& req);
/// The caller; 401 without one.
Caller require_caller(const Request& req);
/// The caller, who must be an administrator: 401 without one, 403 with `refusal` for anyone else.
Caller require_admin(const Request& req, std::string_view refusal);

}  // namespace shopmesh::core
