#pragma once
// The identity events auth publishes, as their generated contracts (contracts/events/*.v1.json).
#include <optional>
#include <string>
#include <string_view>

#include "shopmesh/auth/account.hpp"
#include "shopmesh/contracts/session_revoked_v1.hpp"
#include "shopmesh/contracts/user_registered_v1.hpp"

namespace shopmesh::auth {

enum class RevokeReason { logout, password_changed, refresh_reuse, user_deleted, role_changed };
/// LOGOUT | PASSWORD_CHANGED | REFRESH_REUSE | USER_DELETED | ROLE_CHANGED.
std::string_view to_string(RevokeReason reason);

/// USER_REGISTERED v1 for a new account.
contracts::UserRegisteredV1 user_registered(const Account& account);

/// SESSION_REVOKED v1: one session, or all of a user's but `except_session_id`.
contracts::SessionRevokedV1 session_revoked(std::string_view user_id, const std::optional<std::string>& session_id,
                                            const std::optional<std::string>& except_session_id, RevokeReason reason,
                                            std::string_view revoked_at);

}  // namespace shopmesh::auth
