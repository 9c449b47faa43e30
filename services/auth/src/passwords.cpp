#include "shopmesh/auth/passwords.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <vector>

namespace shopmesh::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::array<unsigned char, kSaltBytes> random_salt() {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("argon2: no randomness");
  return salt;
}

std::string hash_unlimited(const Argon2Params& p, std::string_view password) {
  const auto salt = random_salt();
  std::vector<char> encoded(
      argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism, kSaltBytes, kHashBytes, Argon2_id) + 1);
  const int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(), password.size(),
                                       salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verify_unlimited(std::string_view encoded, std::string_view password) {
  const std::string text(encoded);  // argon2 wants a NUL-terminated string
  const int rc = argon2id_verify(text.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH || rc == ARGON2_DECODING_FAIL || rc == ARGON2_INCORRECT_TYPE) return false;
  throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
}

bool read_param(std::string_view& text, std::string_view prefix, std::uint32_t& out) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

std::optional<Argon2Params> parse_params(std::string_view encoded) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (!encoded.starts_with(kPrefix)) return std::nullopt;
  encoded.remove_prefix(kPrefix.size());
  Argon2Params p;
  if (!read_param(encoded, "m=", p.memory_kib) || !read_param(encoded, ",t=", p.iterations) ||
      !read_param(encoded, ",p=", p.parallelism) || !encoded.starts_with('$'))
    return std::nullopt;
  return p;
}

Argon2Limiter::Argon2Limiter(int concurrency, int max_waiting, std::chrono::milliseconds max_wait)
    : concurrency_(concurrency), max_waiting_(max_waiting), max_wait_(max_wait) {}

Argon2Limiter::Slot::~Slot() {
  if (limiter_ != nullptr) limiter_->release(client_);
}

// Called with mutex_ held.
void Argon2Limiter::reject(const std::string& client) {
  ++rejected_;
  if (auto it = clients_.find(client); it != clients_.end() && it->second.running == 0 && it->second.waiting == 0)
    clients_.erase(it);
  throw HashingOverloaded("password hashing is at capacity");
}

Argon2Limiter::Slot Argon2Limiter::acquire(std::string_view client_view) {
  std::string client(client_view);
  std::unique_lock lock(mutex_);
  // References into an unordered_map survive rehashing; an entry is erased only when unused.
  ClientUse unlimited;
  ClientUse& use = client.empty() ? unlimited : clients_[client];
  const int run_cap = client.empty() ? concurrency_ : client_running_cap();
  const int wait_cap = client.empty() ? max_waiting_ : client_waiting_cap();
  auto can_run = [&] { return running_ < concurrency_ && use.running < run_cap; };
  if (!can_run()) {
    if (waiting_ >= max_waiting_ || use.waiting >= wait_cap) reject(client);
    ++waiting_;
    ++use.waiting;
    const bool got = freed_.wait_for(lock, max_wait_, can_run);
    --waiting_;
    --use.waiting;
    if (!got) reject(client);
  }
  ++running_;
  ++use.running;
  return Slot(*this, std::move(client));
}

void Argon2Limiter::release(const std::string& client) {
  {
    std::lock_guard lock(mutex_);
    --running_;
    if (auto it = clients_.find(client); it != clients_.end() && --it->second.running == 0 && it->second.waiting == 0)
      clients_.erase(it);
  }
  // Waiters wait for different things (the pool, or their client's share): wake them all.
  freed_.notify_all();
}

int Argon2Limiter::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

int Argon2Limiter::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

long long Argon2Limiter::rejected() const {
  std::lock_guard lock(mutex_);
  return rejected_;
}

PasswordHasher::PasswordHasher(Argon2Params params, Argon2Limiter& limiter) : params_(params), limiter_(limiter) {
  std::array<unsigned char, 24> secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1)
    throw std::runtime_error("argon2: no randomness");
  dummy_ = hash_unlimited(params_, std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
}

std::string PasswordHasher::hash(std::string_view password, std::string_view client) const {
  auto slot = limiter_.acquire(client);
  return hash_unlimited(params_, password);
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password, std::string_view client) const {
  auto slot = limiter_.acquire(client);
  return verify_unlimited(encoded, password);
}

bool PasswordHasher::verify_dummy(std::string_view password, std::string_view client) const {
  auto slot = limiter_.acquire(client);
  verify_unlimited(dummy_, password);
  return false;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
  auto p = parse_params(encoded);
  return !p || !(*p == params_);
}

}  // namespace shopmesh::auth
