#pragma once
// Per-account protection against password guessing (migration 0002): the policy as plain
// functions, so it is unit-testable, and the exception the HTTP layer turns into 429.
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shopmesh::auth {

/// Consecutive failures after which each further failure locks the account for a while.
inline constexpr int kFreeFailures = 5;
/// The longest lock after one failure.
inline constexpr std::chrono::seconds kMaxLock{60};
/// Failures further apart than this are not consecutive.
inline constexpr std::chrono::hours kFailureMemory{1};

/// How long password checks stay locked after the `failures`-th consecutive failure: nothing up to
/// kFreeFailures, then 1 s, 2 s, 4 s, ... up to kMaxLock.
std::chrono::seconds lock_after(int failures);

/// The key failures are counted under: the account's e-mail, lower-cased (ASCII; e-mails are
/// compared case-insensitively everywhere else too).
std::string throttle_subject(std::string_view email);

/// Thrown while an account's password checks are locked: 429 with Retry-After.
struct TooManyAttempts : std::runtime_error {
  explicit TooManyAttempts(std::chrono::seconds retry_after)
      : std::runtime_error("Too many failed attempts for this account; retry later."), retry_after(retry_after) {}
  std::chrono::seconds retry_after;
};

}  // namespace shopmesh::auth
