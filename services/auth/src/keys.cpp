#include "shopmesh/auth/keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>

#include "shopmesh/auth/queries.hpp"
#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::auth {
namespace {

namespace jwt = core::jwt;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Pkey read_private(const std::string& pem, const std::string* passphrase) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::runtime_error("signing key: out of memory");
  // With no callback, OpenSSL takes `u` as the NUL-terminated passphrase.
  void* u = passphrase != nullptr ? const_cast<char*>(passphrase->c_str()) : const_cast<char*>("");
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, u));
  if (!key) throw std::runtime_error("signing key: cannot read the private key (wrong JWT_KEY_PASSPHRASE?)");
  return key;
}

std::string plain_pem(EVP_PKEY* key) {
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PKCS8PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::runtime_error("signing key: cannot write PEM");
  return bio_text(out.get());
}

}  // namespace

std::string encrypt_private_pem(const jwt::RsaKey& key, const std::string& passphrase) {
  const std::string plain = key.private_pem();
  Pkey pkey = read_private(plain, nullptr);
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PKCS8PrivateKey(out.get(), pkey.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                            const_cast<char*>(passphrase.c_str())) != 1)
    throw std::runtime_error("signing key: cannot encrypt the private key");
  return bio_text(out.get());
}

jwt::RsaKey decrypt_private_pem(std::string kid, const std::string& pem, const std::string& passphrase) {
  Pkey pkey = read_private(pem, &passphrase);
  return jwt::RsaKey::from_private_pem(std::move(kid), plain_pem(pkey.get()));
}

std::vector<jwt::RsaKey> load_signing_keys(core::PgPool& db, const KeyPolicy& policy, core::Logger& log) {
  return db.transact([&](pqxx::work& tx) {
    // One instance at a time decides whether to rotate.
    core::exec(tx, queries::lock_signing_keys());
    auto rows = core::exec(tx, queries::signing_keys(), static_cast<int>(policy.rotation.count()),
                           static_cast<int>(policy.published));
    std::vector<jwt::RsaKey> keys;
    const bool rotate = rows.empty() || rows[0]["stale"].as<bool>();
    if (rotate) {
      auto key = jwt::RsaKey::generate(core::uuid_v7());
      const bool encrypt = !policy.passphrase.empty();
      core::exec(tx, queries::insert_signing_key(), key.kid(),
                 encrypt ? encrypt_private_pem(key, policy.passphrase) : key.private_pem(), encrypt);
      log.info(rows.empty() ? "signing key created" : "signing key rotated", {{"kid", key.kid()}});
      keys.push_back(std::move(key));
    }
    for (const auto& row : rows) {
      if (keys.size() >= policy.published) break;
      std::string kid = row["kid"].as<std::string>();
      const std::string pem = row["private_pem"].as<std::string>();
      if (row["encrypted"].as<bool>()) {
        if (policy.passphrase.empty())
          throw std::runtime_error("signing key " + kid + " is encrypted but JWT_KEY_PASSPHRASE is not set");
        keys.push_back(decrypt_private_pem(std::move(kid), pem, policy.passphrase));
      } else {
        keys.push_back(jwt::RsaKey::from_private_pem(std::move(kid), pem));
      }
    }
    log.info("signing keys loaded",
             {{"currentKid", keys.front().kid()}, core::num("published", static_cast<long long>(keys.size()))});
    return keys;
  });
}

}  // namespace shopmesh::auth
