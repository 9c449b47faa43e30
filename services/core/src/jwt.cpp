// RS256 JWT/JWKS on OpenSSL 3 EVP and RapidJSON.
//
// Why not a library: Debian 12 offers libjwt 1.10 (C) and cpp-jwt (which drags in nlohmann/json).
// Neither turns a JWKS entry (base64url n/e) into a verification key, and both decide the
// algorithm from the token header in ways that make alg-confusion (HS256 signed with the RSA
// public key as the HMAC secret, or `alg: none`) a caller's problem. What Shopmesh needs is small
// — one algorithm, one key type — so it is implemented here on OpenSSL's EVP interface: the header
// must say RS256 (and typ JWT, if present) before any key is looked up, only RSA keys exist in the
// key map, and every input is bounded (token size, iterative JSON parsing, strict base64url).
#include "shopmesh/core/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace shopmesh::core::jwt {

struct RsaKey::Impl {
  EVP_PKEY* pkey = nullptr;
  bool has_private = false;
  ~Impl() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr int kMinModulusBits = 2048;
constexpr int kMaxModulusBits = 8192;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

[[noreturn]] void openssl_fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string msg = "jwt: " + what;
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    msg += ": ";
    msg += buf.data();
  }
  throw std::runtime_error(msg);
}

// SHA-256 fetched once: implicit fetches on every signature are a measurable cost in OpenSSL 3.
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) openssl_fail("SHA256 is not available");
  return md;
}

int modulus_bits(const EVP_PKEY* pkey) { return EVP_PKEY_get_bits(pkey); }

void check_rsa(const EVP_PKEY* pkey) {
  if (!EVP_PKEY_is_a(pkey, "RSA")) throw std::runtime_error("jwt: the key is not an RSA key");
  const int bits = modulus_bits(pkey);
  if (bits < kMinModulusBits || bits > kMaxModulusBits)
    throw std::runtime_error("jwt: RSA modulus must have 2048 to 8192 bits, has " + std::to_string(bits));
}

std::string bn_to_bytes(const BIGNUM* bn) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

Bn get_bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) openssl_fail(std::string("cannot read RSA parameter ") + name);
  return Bn(bn);
}

void write_jwk(Writer& w, const RsaKey& key) {
  const EVP_PKEY* pkey = key.impl().pkey;
  const std::string n = base64url_encode(bn_to_bytes(get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N).get()));
  const std::string e = base64url_encode(bn_to_bytes(get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E).get()));
  w.StartObject();
  w.Key("kty");
  w.String("RSA");
  w.Key("use");
  w.String("sig");
  w.Key("alg");
  w.String("RS256");
  w.Key("kid");
  w.String(key.kid().c_str(), static_cast<rapidjson::SizeType>(key.kid().size()));
  w.Key("n");
  w.String(n.c_str(), static_cast<rapidjson::SizeType>(n.size()));
  w.Key("e");
  w.String(e.c_str(), static_cast<rapidjson::SizeType>(e.size()));
  w.EndObject();
}

void kv(Writer& w, const char* key, const std::string& value) {
  if (value.empty()) return;
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void kv(Writer& w, const char* key, std::int64_t value) {
  if (value == 0) return;
  w.Key(key);
  w.Int64(value);
}

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;  // no recursion on hostile nesting

bool parse_object(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<kParseFlags>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  // Duplicate names are ambiguous (different parsers pick different values): refuse them.
  for (auto a = doc.MemberBegin(); a != doc.MemberEnd(); ++a)
    for (auto b = a + 1; b != doc.MemberEnd(); ++b)
      if (a->name == b->name) return false;
  return true;
}

std::string_view as_view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

enum class Field { absent, ok, bad_type };

Field read_string(const rapidjson::Value& obj, const char* name, std::string& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return Field::absent;
  if (!it->value.IsString()) return Field::bad_type;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return Field::ok;
}

// NumericDate (RFC 7519 §2): seconds, possibly fractional; bounded to keep arithmetic safe.
Field read_time(const rapidjson::Value& obj, const char* name, std::int64_t& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return Field::absent;
  const auto& v = it->value;
  constexpr double kMax = 1e13;  // far beyond any real date, far below int64 overflow
  if (v.IsInt64()) {
    out = v.GetInt64();
  } else if (v.IsNumber()) {
    const double d = v.GetDouble();
    if (!std::isfinite(d)) return Field::bad_type;
    out = static_cast<std::int64_t>(std::clamp(std::floor(d), -kMax, kMax));
  } else {
    return Field::bad_type;
  }
  if (out < 0 || out > static_cast<std::int64_t>(kMax)) return Field::bad_type;
  return Field::ok;
}

VerifyResult fail(VerifyError e, std::string kid = {}) {
  VerifyResult r;
  r.error = e;
  r.kid = std::move(kid);
  return r;
}

int b64url_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool rsa_verify(EVP_PKEY* pkey, std::string_view signing_input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, sha256(), nullptr, pkey) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification leaves entries on this thread's error queue
  return ok;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  base64url_append(out, bytes);
  return out;
}

void base64url_append(std::string& out, std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t n = bytes.size();
  const std::size_t at_end = out.size();
  out.resize(at_end + (n * 4 + 2) / 3);  // unpadded: 4 characters per 3 bytes, 2 or 3 for the rest
  char* o = out.data() + at_end;
  const auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3, o += 4) {
    const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = alphabet[(v >> 6) & 63];
    o[3] = alphabet[v & 63];
  }
  if (const std::size_t rest = n - i; rest > 0) {
    const std::uint32_t v = (at(i) << 16) | (rest == 2 ? at(i + 1) << 8 : 0);
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    if (rest == 2) o[2] = alphabet[(v >> 6) & 63];
  }
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // Strict: the URL-safe alphabet only, no padding, no whitespace, and zero trailing bits, so
  // every byte string has exactly one accepted encoding.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    const int v = b64url_value(static_cast<unsigned char>(ch));
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

RsaKey::RsaKey(std::string kid, std::unique_ptr<Impl> impl) : kid_(std::move(kid)), impl_(std::move(impl)) {}
RsaKey::RsaKey(RsaKey&&) noexcept = default;
RsaKey& RsaKey::operator=(RsaKey&&) noexcept = default;
RsaKey::~RsaKey() = default;

RsaKey RsaKey::generate(std::string kid) {
  auto impl = std::make_unique<Impl>();
  impl->pkey = EVP_RSA_gen(2048);
  if (impl->pkey == nullptr) openssl_fail("RSA key generation failed");
  impl->has_private = true;
  return RsaKey(std::move(kid), std::move(impl));
}

RsaKey RsaKey::from_private_pem(std::string kid, std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) openssl_fail("cannot allocate a BIO");
  auto impl = std::make_unique<Impl>();
  impl->pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (impl->pkey == nullptr) openssl_fail("cannot read the PEM private key");
  check_rsa(impl->pkey);
  impl->has_private = true;
  return RsaKey(std::move(kid), std::move(impl));
}

RsaKey RsaKey::from_jwk(std::string kid, std::string_view n_b64url, std::string_view e_b64url) {
  const auto n_bytes = base64url_decode(n_b64url);
  const auto e_bytes = base64url_decode(e_b64url);
  if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty() || e_bytes->size() > 8)
    throw std::runtime_error("jwt: JWK n/e are not valid base64url");
  Bn n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes->data()), static_cast<int>(n_bytes->size()), nullptr));
  Bn e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes->data()), static_cast<int>(e_bytes->size()), nullptr));
  if (!n || !e) openssl_fail("cannot read JWK n/e");
  if (BN_num_bits(n.get()) < kMinModulusBits || BN_num_bits(n.get()) > kMaxModulusBits)
    throw std::runtime_error("jwt: JWK modulus must have 2048 to 8192 bits");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get())) throw std::runtime_error("jwt: JWK exponent is invalid");

  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    openssl_fail("cannot build RSA parameters");
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) openssl_fail("cannot prepare RSA key import");
  auto impl = std::make_unique<Impl>();
  if (EVP_PKEY_fromdata(ctx.get(), &impl->pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || impl->pkey == nullptr)
    openssl_fail("cannot import the JWK");
  return RsaKey(std::move(kid), std::move(impl));
}

bool RsaKey::has_private() const { return impl_ && impl_->has_private; }

std::string RsaKey::private_pem() const {
  if (!has_private()) throw std::runtime_error("jwt: key " + kid_ + " has no private part");
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    openssl_fail("cannot write the private key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string RsaKey::public_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey) != 1) openssl_fail("cannot write the public key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string RsaKey::public_jwk_json() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_jwk(w, *this);
  return {buf.GetString(), buf.GetSize()};
}

std::string sign_raw(std::string_view header_json, std::string_view payload_json, const RsaKey& key) {
  if (!key.has_private()) throw std::runtime_error("jwt: key " + key.kid() + " cannot sign (no private part)");
  std::string token = base64url_encode(header_json);
  token.push_back('.');
  token += base64url_encode(payload_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, sha256(), nullptr, key.impl().pkey) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size()) != 1)
    openssl_fail("cannot prepare the signature");
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(token.data()), token.size()) != 1)
    openssl_fail("signing failed");
  sig.resize(sig_len);
  token.push_back('.');
  token += base64url_encode(sig);
  return token;
}

std::string sign(const Claims& claims, const RsaKey& key) {
  rapidjson::StringBuffer header;
  {
    Writer w(header);
    w.StartObject();
    kv(w, "alg", std::string("RS256"));
    kv(w, "typ", std::string("JWT"));
    kv(w, "kid", key.kid());
    w.EndObject();
  }
  rapidjson::StringBuffer payload;
  {
    Writer w(payload);
    w.StartObject();
    kv(w, "iss", claims.iss);
    kv(w, "sub", claims.sub);
    kv(w, "aud", claims.aud);
    kv(w, "jti", claims.jti);
    kv(w, "sid", claims.sid);
    kv(w, "email", claims.email);
    kv(w, "role", claims.role);
    kv(w, "iat", claims.iat);
    kv(w, "nbf", claims.nbf);
    w.Key("exp");
    w.Int64(claims.exp);
    w.EndObject();
  }
  return sign_raw({header.GetString(), header.GetSize()}, {payload.GetString(), payload.GetSize()}, key);
}

std::string jwks_json(const std::vector<const RsaKey*>& keys) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("keys");
  w.StartArray();
  for (const RsaKey* k : keys)
    if (k != nullptr) write_jwk(w, *k);
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::vector<RsaKey> parse_jwks(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("jwt: the JWKS is not a JSON object");
  auto keys_it = doc.FindMember("keys");
  if (keys_it == doc.MemberEnd() || !keys_it->value.IsArray())
    throw std::runtime_error("jwt: the JWKS has no 'keys' array");
  std::vector<RsaKey> out;
  for (const auto& k : keys_it->value.GetArray()) {
    if (!k.IsObject()) continue;
    std::string kty, kid, n, e, use, alg;
    if (read_string(k, "kty", kty) != Field::ok || kty != "RSA") continue;
    if (read_string(k, "kid", kid) != Field::ok || kid.empty()) continue;
    if (read_string(k, "n", n) != Field::ok || read_string(k, "e", e) != Field::ok) continue;
    const Field use_f = read_string(k, "use", use);
    if (use_f == Field::bad_type || (use_f == Field::ok && use != "sig")) continue;
    const Field alg_f = read_string(k, "alg", alg);
    if (alg_f == Field::bad_type || (alg_f == Field::ok && alg != "RS256")) continue;
    try {
      out.push_back(RsaKey::from_jwk(std::move(kid), n, e));
    } catch (const std::runtime_error&) {
      // A key this verifier cannot use (too short, bad encoding) is skipped like a foreign kty.
    }
  }
  return out;
}

std::string_view to_string(VerifyError e) {
  switch (e) {
    case VerifyError::malformed: return "malformed";
    case VerifyError::bad_algorithm: return "bad_algorithm";
    case VerifyError::unknown_kid: return "unknown_kid";
    case VerifyError::bad_signature: return "bad_signature";
    case VerifyError::expired: return "expired";
    case VerifyError::not_yet_valid: return "not_yet_valid";
    case VerifyError::wrong_issuer: return "wrong_issuer";
    case VerifyError::wrong_audience: return "wrong_audience";
    case VerifyError::missing_claim: return "missing_claim";
  }
  return "malformed";
}

VerifyResult verify(std::string_view token, const std::map<std::string, RsaKey, std::less<>>& keys,
                    const VerifyOptions& options, std::chrono::system_clock::time_point now) {
  if (token.empty() || token.size() > options.max_token_bytes) return fail(VerifyError::malformed);
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return fail(VerifyError::malformed);
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail(VerifyError::malformed);
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) return fail(VerifyError::malformed);

  // 1. The header decides nothing but must say RS256 before any key is looked up.
  const auto header_text = base64url_decode(header_b64);
  if (!header_text) return fail(VerifyError::malformed);
  rapidjson::Document header;
  if (!parse_object(*header_text, header)) return fail(VerifyError::malformed);
  std::string alg, typ, kid;
  if (read_string(header, "alg", alg) != Field::ok || alg != "RS256") return fail(VerifyError::bad_algorithm);
  const Field typ_f = read_string(header, "typ", typ);
  if (typ_f == Field::bad_type || (typ_f == Field::ok && typ != "JWT")) return fail(VerifyError::malformed);
  if (header.HasMember("crit")) return fail(VerifyError::malformed);  // no extensions are understood
  if (read_string(header, "kid", kid) != Field::ok || kid.empty()) return fail(VerifyError::malformed);

  // 2. The key, then the signature over the encoded header and payload.
  auto key_it = keys.find(kid);
  if (key_it == keys.end()) return fail(VerifyError::unknown_kid, std::move(kid));
  const auto signature = base64url_decode(signature_b64);
  if (!signature) return fail(VerifyError::malformed, std::move(kid));
  if (!rsa_verify(key_it->second.impl().pkey, token.substr(0, dot2), *signature))
    return fail(VerifyError::bad_signature, std::move(kid));

  // 3. Claims, read only from a payload whose signature holds.
  const auto payload_text = base64url_decode(payload_b64);
  rapidjson::Document payload;
  if (!payload_text || !parse_object(*payload_text, payload)) return fail(VerifyError::malformed, std::move(kid));
  Claims c;
  Field f_sub = read_string(payload, "sub", c.sub);
  Field f_iss = read_string(payload, "iss", c.iss);
  Field f_exp = read_time(payload, "exp", c.exp);
  Field f_aud = Field::absent;
  std::vector<std::string> audiences;
  if (auto it = payload.FindMember("aud"); it != payload.MemberEnd()) {
    f_aud = Field::ok;
    if (it->value.IsString()) {
      audiences.emplace_back(as_view(it->value));
    } else if (it->value.IsArray() && !it->value.Empty()) {
      for (const auto& a : it->value.GetArray()) {
        if (!a.IsString()) {
          f_aud = Field::bad_type;
          break;
        }
        audiences.emplace_back(as_view(a));
      }
    } else {
      f_aud = Field::bad_type;
    }
  }
  const Field optional[] = {read_string(payload, "jti", c.jti),     read_string(payload, "sid", c.sid),
                            read_string(payload, "email", c.email), read_string(payload, "role", c.role),
                            read_time(payload, "iat", c.iat),       read_time(payload, "nbf", c.nbf)};
  for (Field f : {f_sub, f_iss, f_exp, f_aud})
    if (f == Field::bad_type) return fail(VerifyError::malformed, std::move(kid));
  for (Field f : optional)
    if (f == Field::bad_type) return fail(VerifyError::malformed, std::move(kid));
  if (f_sub != Field::ok || c.sub.empty() || f_iss != Field::ok || f_exp != Field::ok || f_aud != Field::ok)
    return fail(VerifyError::missing_claim, std::move(kid));

  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t leeway = options.leeway.count();
  if (now_s >= c.exp + leeway) return fail(VerifyError::expired, std::move(kid));
  if (c.nbf != 0 && now_s + leeway < c.nbf) return fail(VerifyError::not_yet_valid, std::move(kid));
  if (!options.issuer.empty() && c.iss != options.issuer) return fail(VerifyError::wrong_issuer, std::move(kid));
  if (options.audience.empty()) {
    c.aud = audiences.front();
  } else {
    auto match = std::find(audiences.begin(), audiences.end(), options.audience);
    if (match == audiences.end()) return fail(VerifyError::wrong_audience, std::move(kid));
    c.aud = *match;
  }
  VerifyResult r;
  r.claims = std::move(c);
  r.kid = std::move(kid);
  return r;
}

}  // namespace shopmesh::core::jwt
