#include "shopmesh/auth/identity_events.hpp"

namespace shopmesh::auth {

std::string_view to_string(RevokeReason reason) {
  switch (reason) {
    case RevokeReason::logout:
      return "LOGOUT";
    case RevokeReason::password_changed:
      return "PASSWORD_CHANGED";
    case RevokeReason::refresh_reuse:
      return "REFRESH_REUSE";
    case RevokeReason::user_deleted:
      return "USER_DELETED";
    case RevokeReason::role_changed:
      return "ROLE_CHANGED";
  }
  return "LOGOUT";
}

contracts::UserRegisteredV1 user_registered(const Account& a) {
  return {{a.id},
          a.email,
          a.name,
          a.role == Role::admin ? contracts::UserRegisteredV1Role::kAdmin : contracts::UserRegisteredV1Role::kUser,
          a.created_at};
}

contracts::SessionRevokedV1 session_revoked(std::string_view user_id, const std::optional<std::string>& session_id,
                                            const std::optional<std::string>& except_session_id, RevokeReason reason,
                                            std::string_view revoked_at) {
  using R = contracts::SessionRevokedV1Reason;
  R r = R::kLogout;
  switch (reason) {
    case RevokeReason::logout:
      r = R::kLogout;
      break;
    case RevokeReason::password_changed:
      r = R::kPasswordChanged;
      break;
    case RevokeReason::refresh_reuse:
      r = R::kRefreshReuse;
      break;
    case RevokeReason::user_deleted:
      r = R::kUserDeleted;
      break;
    case RevokeReason::role_changed:
      r = R::kRoleChanged;
      break;
  }
  return {{std::string(user_id)}, session_id, except_session_id, r, std::string(revoked_at)};
}

}  // namespace shopmesh::auth
