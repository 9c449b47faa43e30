#pragma once
// Creates the user's profile in the users service right after registration
// (POST {USERS_URL}/internal/users, short timeout). Best effort: when users is down or slow the
// registration still succeeds; the USER_REGISTERED event creates the profile when users is back.
#include <chrono>
#include <string>

#include "shopmesh/auth/account.hpp"
#include "shopmesh/core/http_client.hpp"

namespace shopmesh::core {
class Logger;
class MeshAuth;
}

namespace shopmesh::auth {

/// Something that creates profiles for new accounts.
class ProfileProvisioner {
 public:
  virtual ~ProfileProvisioner() = default;
  /// True when the profile exists afterwards; never throws.
  virtual bool provision(const Account& account, const std::string& request_id, const std::string& traceparent) = 0;
};

class UsersClient : public ProfileProvisioner {
 public:
  UsersClient(std::string base_url, std::chrono::milliseconds timeout, const core::MeshAuth& mesh, core::Logger& log)
      : peers_(base_url), timeout_(timeout), mesh_(mesh), log_(log) {}
  bool provision(const Account& account, const std::string& request_id, const std::string& traceparent) override;

 private:
  core::Peers peers_;  // <NAME>_URL: the instances, this one's own first
  std::chrono::milliseconds timeout_;
  const core::MeshAuth& mesh_;
  core::Logger& log_;
};

}  // namespace shopmesh::auth
