#pragma once
// Who may call a service. Every request a service answers, apart from its /health and /metrics
// probes, carries `X-Mesh-Auth: v1.<caller>.<expires>.<mac>`: an HMAC-SHA256 under the mesh key
// (MESH_KEY, shared by the gateway and the services) over the caller's name, the expiry (Unix
// seconds), the method, the target and the identity headers the request carries (X-User-Id,
// X-User-Role, X-User-Email, X-Session-Id). The gateway signs what it forwards after verifying the
// client's token; services sign their calls to each other. A process that reaches a service port
// without the key can neither call it nor choose the identity it acts as, and a captured header
// is worth nothing for another request or after it expires.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::core {

class Headers;

/// The identity headers a request carries (empty when absent): what a mesh credential binds.
struct MeshIdentity {
  std::string_view user_id;
  std::string_view role;
  std::string_view email;
  std::string_view session_id;

  static MeshIdentity of(const Headers& headers);
};

/// The identity header names, in the order the credential binds them.
inline constexpr std::string_view kIdentityHeaders[] = {"X-User-Id", "X-User-Role", "X-User-Email", "X-Session-Id"};

class MeshAuth {
 public:
  static constexpr std::string_view kHeader = "X-Mesh-Auth";
  /// How long a credential the gateway or a service signs stays valid.
  static constexpr std::chrono::seconds kLifetime{60};
  /// The longest lifetime a verifier accepts (a credential expiring later is refused).
  static constexpr std::chrono::seconds kMaxLifetime{300};
  /// The shortest key accepted, in bytes.
  static constexpr std::size_t kMinKeyLength = 32;

  /// `caller` names this process in the credentials it signs ([a-z0-9-]); `keys[0]` signs and
  /// every key verifies, so a key is rotated by listing the new one first and the old one second.
  /// Throws std::invalid_argument for an empty key list, a short key or a bad caller name.
  MeshAuth(std::string caller, std::vector<std::string> keys);

  /// The X-Mesh-Auth value for a request.
  std::string sign(std::string_view method, std::string_view target, const MeshIdentity& identity,
                   std::chrono::seconds lifetime = kLifetime) const;
  /// The same, appended to `out` (a request head being written).
  void append_signature(std::string& out, std::string_view method, std::string_view target,
                        const MeshIdentity& identity, std::chrono::seconds lifetime = kLifetime) const;
  /// The caller's name when `credential` is valid for this request now, otherwise nullopt.
  std::optional<std::string> verify(std::string_view credential, std::string_view method, std::string_view target,
                                    const MeshIdentity& identity) const;

  const std::string& caller() const { return caller_; }

 private:
  // A key's HMAC-SHA256 state after its inner and its outer pad, computed once: a MAC is then two
  // SHA-256 runs over the message, without the per-call set-up OpenSSL's one-shot HMAC() pays
  // (about 3 µs, more than the rest of signing a request).
  struct Key;
  // Appends the MAC (base64url) to `out`.
  void mac(const Key& key, std::string_view caller, std::string_view expires, std::string_view method,
           std::string_view target, const MeshIdentity& identity, std::string& out) const;

  std::string caller_;
  std::vector<std::shared_ptr<const Key>> keys_;
};

}  // namespace shopmesh::core
