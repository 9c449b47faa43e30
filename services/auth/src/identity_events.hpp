#pragma once
// Payloads of the identity events auth publishes (contracts/events/*.v1.json), as JSON text.
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

#include "account.hpp"

namespace shopmesh::auth {

enum class RevokeReason { logout, password_changed, refresh_reuse, user_deleted, role_changed };
/// LOGOUT | PASSWORD_CHANGED | REFRESH_REUSE | USER_DELETED | ROLE_CHANGED.
std::string_view to_string(RevokeReason reason);

/// USER_REGISTERED v1: {userId, email, name, role, registeredAt}.
std::string user_registered_data(const Account& account);

/// SESSION_REVOKED v1: {userId, sessionId?, exceptSessionId?, reason, revokedAt}.
std::string session_revoked_data(std::string_view user_id, const std::optional<std::string>& session_id,
                                 const std::optional<std::string>& except_session_id, RevokeReason reason,
                                 std::string_view revoked_at);

/// The user id of a USER_DELETED payload; throws events::PermanentError when malformed.
std::string deleted_user_id(const rapidjson::Value& data);

}  // namespace shopmesh::auth
