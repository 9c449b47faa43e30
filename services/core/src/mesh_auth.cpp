#include "shopmesh/core/mesh_auth.hpp"

// SHA-256's own context (deprecated in OpenSSL 3 in favour of EVP, not removed): a credential is
// signed or checked on every request, and an HMAC on two copied SHA256_CTX values is a struct copy
// where EVP_MD_CTX_copy_ex allocates, locks and frees; the same assembly hashes either way.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "shopmesh/core/clock.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/core/jwt.hpp"

namespace shopmesh::core {
namespace {

constexpr std::string_view kVersion = "v1";

bool valid_caller(std::string_view caller) {
  if (caller.empty() || caller.size() > 64) return false;
  for (char c : caller)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

constexpr std::size_t kBlock = 64;  // SHA-256's block size, the HMAC pad length

long long unix_now() {
  // Whole seconds: the last tick's time is precise enough, at a fifth of the cost of a precise read.
  return std::chrono::duration_cast<std::chrono::seconds>(coarse_system_now().time_since_epoch()).count();
}

}  // namespace

MeshIdentity MeshIdentity::of(const Headers& headers) {
  MeshIdentity id;
  id.user_id = headers.get(kIdentityHeaders[0]).value_or("");
  id.role = headers.get(kIdentityHeaders[1]).value_or("");
  id.email = headers.get(kIdentityHeaders[2]).value_or("");
  id.session_id = headers.get(kIdentityHeaders[3]).value_or("");
  return id;
}

// HMAC (RFC 2104) over SHA-256, the key's two padded blocks hashed once.
struct MeshAuth::Key {
  explicit Key(std::string_view key) {
    unsigned char k0[kBlock] = {};
    if (key.size() > kBlock) {  // a long key is replaced by its digest
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), k0);
    } else {
      std::memcpy(k0, key.data(), key.size());
    }
    inner = padded(k0, 0x36);
    outer = padded(k0, 0x5c);
    OPENSSL_cleanse(k0, sizeof k0);
  }
  ~Key() {
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
  }

  static SHA256_CTX padded(const unsigned char* k0, unsigned char with) {
    unsigned char pad[kBlock];
    for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ with);
    SHA256_CTX ctx;
    const bool ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, pad, kBlock) == 1;
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) throw std::runtime_error("SHA-256 failed");
    return ctx;
  }

  SHA256_CTX inner;  // SHA-256 after (key ^ ipad); copied, never changed, so threads share it
  SHA256_CTX outer;  // SHA-256 after (key ^ opad)
};

MeshAuth::MeshAuth(std::string caller, std::vector<std::string> keys) : caller_(std::move(caller)) {
  if (!valid_caller(caller_)) throw std::invalid_argument("a mesh caller name is [a-z0-9-]{1,64}: " + caller_);
  if (keys.empty()) throw std::invalid_argument("no mesh key");
  for (const auto& k : keys) {
    if (k.size() < kMinKeyLength)
      throw std::invalid_argument("a mesh key has at least " + std::to_string(kMinKeyLength) + " characters");
    keys_.push_back(std::make_shared<const Key>(k));
  }
}

void MeshAuth::mac(const Key& key, std::string_view caller, std::string_view expires, std::string_view method,
                   std::string_view target, const MeshIdentity& id, std::string& out) const {
  // Fields are separated by '\n', which no header value, method or target can contain.
  thread_local std::string message;  // its memory reused: a MAC is computed for every request
  message.clear();
  for (std::string_view part : {kVersion, caller, expires, method, target, id.user_id, id.role, id.email, id.session_id}) {
    message.append(part);
    message.push_back('\n');
  }
  unsigned char inner[SHA256_DIGEST_LENGTH];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX work = key.inner;
  bool ok = SHA256_Update(&work, message.data(), message.size()) == 1 && SHA256_Final(inner, &work) == 1;
  work = key.outer;
  ok = ok && SHA256_Update(&work, inner, sizeof inner) == 1 && SHA256_Final(digest, &work) == 1;
  OPENSSL_cleanse(&work, sizeof work);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");
  jwt::base64url_append(out, std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string MeshAuth::sign(std::string_view method, std::string_view target, const MeshIdentity& identity,
                           std::chrono::seconds lifetime) const {
  std::string out;
  out.reserve(80);
  append_signature(out, method, target, identity, lifetime);
  return out;
}

void MeshAuth::append_signature(std::string& out, std::string_view method, std::string_view target,
                                const MeshIdentity& identity, std::chrono::seconds lifetime) const {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, unix_now() + lifetime.count()).ptr;
  const std::string_view expires(digits, static_cast<std::size_t>(end - digits));
  out.append(kVersion).append(".").append(caller_).append(".").append(expires).append(".");
  mac(*keys_.front(), caller_, expires, method, target, identity, out);
}

std::optional<std::string> MeshAuth::verify(std::string_view credential, std::string_view method,
                                            std::string_view target, const MeshIdentity& identity) const {
  // v1.<caller>.<expires>.<mac>
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    const auto dot = credential.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    parts[i] = credential.substr(0, dot);
    credential.remove_prefix(dot + 1);
  }
  parts[3] = credential;
  if (parts[0] != kVersion || !valid_caller(parts[1]) || parts[3].empty()) return std::nullopt;
  long long expires = 0;
  const auto [end, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), expires);
  if (ec != std::errc{} || end != parts[2].data() + parts[2].size()) return std::nullopt;
  const long long now = unix_now();
  if (expires < now || expires > now + kMaxLifetime.count()) return std::nullopt;
  thread_local std::string expected;  // its memory reused: every request a service serves is verified
  for (const auto& key : keys_) {
    expected.clear();
    mac(*key, parts[1], parts[2], method, target, identity, expected);
    if (expected.size() == parts[3].size() && CRYPTO_memcmp(expected.data(), parts[3].data(), expected.size()) == 0)
      return std::string(parts[1]);
  }
  return std::nullopt;
}

}  // namespace shopmesh::core
