#include "identity_events.hpp"

#include "shopmesh/core/json.hpp"
#include "shopmesh/core/uuid.hpp"
#include "shopmesh/events/consumer.hpp"

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

std::string user_registered_data(const Account& a) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "userId", a.id);
  core::json::kv(w, "email", a.email);
  core::json::kv(w, "name", a.name);
  core::json::kv(w, "role", to_string(a.role));
  core::json::kv(w, "registeredAt", a.created_at);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string session_revoked_data(std::string_view user_id, const std::optional<std::string>& session_id,
                                 const std::optional<std::string>& except_session_id, RevokeReason reason,
                                 std::string_view revoked_at) {
  rapidjson::StringBuffer buf;
  core::json::Writer w(buf);
  w.StartObject();
  core::json::kv(w, "userId", user_id);
  if (session_id) core::json::kv(w, "sessionId", *session_id);
  if (except_session_id) core::json::kv(w, "exceptSessionId", *except_session_id);
  core::json::kv(w, "reason", to_string(reason));
  core::json::kv(w, "revokedAt", revoked_at);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string deleted_user_id(const rapidjson::Value& data) {
  auto it = data.IsObject() ? data.FindMember("userId") : data.MemberEnd();
  if (!data.IsObject() || it == data.MemberEnd() || !it->value.IsString() ||
      !core::is_uuid(std::string_view(it->value.GetString(), it->value.GetStringLength())))
    throw events::PermanentError("USER_DELETED without a valid userId");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace shopmesh::auth
