#pragma once
// Argon2id password hashing (libargon2) behind a bounded concurrency limiter.
//
// Why the limiter: a hash costs ~19 MiB and tens of milliseconds of one core. Handlers run on the
// service's worker pool (WORKER_THREADS); without a bound, a login flood would occupy every worker
// with hashing and starve cheap requests (refresh, verify, jwks, health). At most
// ARGON2_CONCURRENCY hashes run at once, at most ARGON2_MAX_WAITING more wait (each up to
// ARGON2_MAX_WAIT_MS); anything beyond is refused at once with 503 + Retry-After, so at least
// WORKER_THREADS - CONCURRENCY - MAX_WAITING workers always stay free (checked at start-up).
// One client (the caller's address) holds at most half of each, rounded down but at least one:
// a login flood from one address cannot take the whole pool, so another client's login runs at once.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace shopmesh::auth {

/// Argon2id cost parameters; the defaults are OWASP's (m=19 MiB, t=2, p=1).
struct Argon2Params {
  std::uint32_t memory_kib = 19456;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
  friend bool operator==(const Argon2Params&, const Argon2Params&) = default;
};

/// The parameters recorded in an encoded hash ("$argon2id$v=19$m=..,t=..,p=..$salt$hash").
std::optional<Argon2Params> parse_params(std::string_view encoded);

/// Thrown when the hashing capacity and its waiting line are full.
struct HashingOverloaded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A counting semaphore with a bounded waiting line and a bounded wait.
class Argon2Limiter {
 public:
  Argon2Limiter(int concurrency, int max_waiting, std::chrono::milliseconds max_wait);

  /// Holds one hashing slot until destroyed.
  class Slot {
   public:
    Slot(Argon2Limiter& limiter, std::string client) : limiter_(&limiter), client_(std::move(client)) {}
    Slot(Slot&& other) noexcept : limiter_(std::exchange(other.limiter_, nullptr)), client_(std::move(other.client_)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    Argon2Limiter* limiter_;
    std::string client_;
  };

  /// Takes a slot for `client` (empty: no per-client share), waiting in line if allowed; throws
  /// HashingOverloaded when the pool, its line or the client's share is full.
  Slot acquire(std::string_view client = {});

  /// The share of one client: running hashes, and waiting ones.
  int client_running_cap() const { return std::max(1, concurrency_ / 2); }
  int client_waiting_cap() const { return std::max(1, max_waiting_ / 2); }

  int running() const;
  int waiting() const;
  long long rejected() const;

 private:
  struct ClientUse {
    int running = 0;
    int waiting = 0;
  };
  void release(const std::string& client);
  [[noreturn]] void reject(const std::string& client);

  const int concurrency_;
  const int max_waiting_;
  const std::chrono::milliseconds max_wait_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int running_ = 0;
  int waiting_ = 0;
  long long rejected_ = 0;
  std::unordered_map<std::string, ClientUse> clients_;  // only clients holding or awaiting a slot
};

class PasswordHasher {
 public:
  /// Computes a dummy hash with `params` (used to equalise the timing of unknown e-mails).
  PasswordHasher(Argon2Params params, Argon2Limiter& limiter);

  // `client` (the caller's address) gets its share of the hashing pool (Argon2Limiter).
  /// A new encoded Argon2id hash with a random 16-byte salt.
  std::string hash(std::string_view password, std::string_view client = {}) const;
  /// True when `password` matches `encoded` (parameters are read from the hash).
  bool verify(std::string_view encoded, std::string_view password, std::string_view client = {}) const;
  /// Does the work of a verification against a fixed hash and returns false.
  bool verify_dummy(std::string_view password, std::string_view client = {}) const;
  /// True when `encoded` was made with other parameters than the current ones.
  bool needs_rehash(std::string_view encoded) const;

  const Argon2Params& params() const { return params_; }

 private:
  Argon2Params params_;
  Argon2Limiter& limiter_;
  std::string dummy_;
};

}  // namespace shopmesh::auth
