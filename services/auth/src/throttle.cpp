#include "shopmesh/auth/throttle.hpp"

#include <algorithm>
#include <cctype>

namespace shopmesh::auth {

std::chrono::seconds lock_after(int failures) {
  if (failures < kFreeFailures) return std::chrono::seconds{0};
  const int doublings = std::min(failures - kFreeFailures, 30);
  return std::min<std::chrono::seconds>(std::chrono::seconds{1LL << doublings}, kMaxLock);
}

std::string throttle_subject(std::string_view email) {
  std::string s(email);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace shopmesh::auth
