#pragma once
// RS256 signing keys kept in the auth database. At start-up the newest key is the current one;
// when there is none, or it is older than the rotation period, a new one is generated and
// stored (several instances starting at once agree through an advisory lock). The private PEM is
// encrypted (PKCS#8, AES-256-CBC, PBKDF2) when a passphrase is configured, and never logged.
#include <chrono>
#include <string>
#include <vector>

#include "shopmesh/core/jwt.hpp"

namespace shopmesh::core {
class Logger;
class PgPool;
}  // namespace shopmesh::core

namespace shopmesh::auth {

struct KeyPolicy {
  std::chrono::hours rotation{24 * 30};
  std::string passphrase;     // empty: stored unencrypted
  std::size_t published = 2;  // current + previous
};

/// Loads (and rotates when due) the signing keys; newest first, at most `policy.published`.
std::vector<core::jwt::RsaKey> load_signing_keys(core::PgPool& db, const KeyPolicy& policy, core::Logger& log);

/// PKCS#8 PEM encrypted with `passphrase`.
std::string encrypt_private_pem(const core::jwt::RsaKey& key, const std::string& passphrase);
/// Reads an encrypted PKCS#8 PEM back into a key; throws std::runtime_error on a wrong passphrase.
core::jwt::RsaKey decrypt_private_pem(std::string kid, const std::string& pem, const std::string& passphrase);

}  // namespace shopmesh::auth
