#include "shopmesh/auth/users_client.hpp"

#include "shopmesh/core/http_client.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/mesh_auth.hpp"

namespace shopmesh::auth {

bool UsersClient::provision(const Account& account, const std::string& request_id, const std::string& traceparent) {
  core::HttpCall call;
  call.method = "POST";
  call.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", request_id}};
  if (!traceparent.empty()) call.headers.emplace_back("traceparent", traceparent);
  call.body = account_json(account);
  call.timeout = timeout_;
  call.mesh = &mesh_;
  const auto result = peers_.call(call, "/internal/users");
  if (result.status == 200 || result.status == 201) return true;
  log_.warn("profile not created synchronously; the USER_REGISTERED event will create it",
            {{"requestId", request_id},
             {"userId", account.id},
             core::num("status", static_cast<long long>(result.status)),
             {"error", result.error}});
  return false;
}

}  // namespace shopmesh::auth
