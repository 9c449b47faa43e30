#pragma once
// RS256 JSON Web Tokens (RFC 7519/7515) and JWKS (RFC 7517) on OpenSSL. Signing is for the auth
// service; verification is for the gateway. Verification accepts only RS256 with a known `kid`:
// `alg: none`, HS*, and any other algorithm are rejected before any key is touched.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::core::jwt {

/// An RSA key pair (private part optional) identified by `kid`.
class RsaKey {
 public:
  /// Generates a new 2048-bit key pair.
  static RsaKey generate(std::string kid);
  /// Loads a PEM private key (PKCS#8 or traditional); throws std::runtime_error on failure.
  static RsaKey from_private_pem(std::string kid, std::string_view pem);
  /// Builds a public key from a JWK's base64url `n` and `e`; throws on malformed input.
  static RsaKey from_jwk(std::string kid, std::string_view n_b64url, std::string_view e_b64url);

  RsaKey(RsaKey&&) noexcept;
  RsaKey& operator=(RsaKey&&) noexcept;
  ~RsaKey();

  const std::string& kid() const { return kid_; }
  bool has_private() const;
  std::string private_pem() const;  // PKCS#8 PEM; throws when there is no private part
  std::string public_pem() const;   // SubjectPublicKeyInfo PEM
  /// The public JWK object as JSON text: {"kty":"RSA","use":"sig","alg":"RS256","kid","n","e"}.
  std::string public_jwk_json() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  RsaKey(std::string kid, std::unique_ptr<Impl> impl);
  std::string kid_;
  std::unique_ptr<Impl> impl_;
};

/// Registered and private claims Shopmesh uses.
struct Claims {
  std::string sub;    // user id
  std::string iss;
  std::string aud;
  std::string jti;    // token id
  std::string sid;    // session (refresh-token family) id
  std::string email;
  std::string role;   // USER | ADMIN
  std::int64_t iat = 0;
  std::int64_t nbf = 0;
  std::int64_t exp = 0;
};

/// Signs claims with RS256 and the key's kid in the header.
std::string sign(const Claims& claims, const RsaKey& key);
/// Signs arbitrary header and payload JSON text with RS256 (for tests and tools: nothing is
/// checked or added; `sign` is what issuers use). Throws when the key has no private part.
std::string sign_raw(std::string_view header_json, std::string_view payload_json, const RsaKey& key);

/// A JWKS document: {"keys":[...]} for the given keys (public parts only).
std::string jwks_json(const std::vector<const RsaKey*>& keys);
/// Parses a JWKS document into public keys (RSA/RS256 entries with a kid; others skipped).
std::vector<RsaKey> parse_jwks(std::string_view json);

enum class VerifyError {
  malformed,       // not three base64url parts, bad JSON, oversized
  bad_algorithm,   // alg is not RS256 (none, HS256, ...)
  unknown_kid,     // no key with this kid (callers may refetch the JWKS once)
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,
};
std::string_view to_string(VerifyError e);

struct VerifyOptions {
  std::string issuer;
  std::string audience;
  std::chrono::seconds leeway{30};
  std::size_t max_token_bytes = 8 * 1024;
};

struct VerifyResult {
  std::optional<Claims> claims;
  VerifyError error = VerifyError::malformed;  // meaningful when !claims
  std::string kid;                             // the header's kid, when it could be read
};

/// Verifies a compact JWS against keys looked up by kid (a map kid -> key).
VerifyResult verify(std::string_view token, const std::map<std::string, RsaKey, std::less<>>& keys,
                    const VerifyOptions& options, std::chrono::system_clock::time_point now);

/// base64url without padding (RFC 4648 §5).
std::string base64url_encode(std::string_view bytes);
/// The same, appended to `out`.
void base64url_append(std::string& out, std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace shopmesh::core::jwt
