#include "shopmesh/core/uuid.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace shopmesh::core {
namespace {

// Monotonic within a process: the 12-bit rand_a field counts up inside one millisecond
// (RFC 9562 §6.2 method 1), so ids generated here sort in creation order.
struct V7State {
  std::mutex mutex;
  std::uint64_t last_ms = 0;
  std::uint16_t counter = 0;
  std::mt19937_64 rng{std::random_device{}()};
};

V7State& state() {
  static V7State s;  // process-local generator state, not configuration
  return s;
}

}  // namespace

std::string uuid_v7() {
  std::array<std::uint8_t, 16> b{};
  std::uint64_t ms;
  std::uint16_t seq;
  std::uint64_t rand_b;
  {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    if (ms <= s.last_ms) {
      ms = s.last_ms;
      if (++s.counter > 0x0fff) {  // counter exhausted: borrow the next millisecond
        ++ms;
        s.counter = 0;
      }
    } else {
      s.counter = static_cast<std::uint16_t>(s.rng() & 0x01ff);  // random start, headroom to count
    }
    s.last_ms = ms;
    seq = s.counter;
    rand_b = s.rng();
  }
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((seq >> 8) & 0x0f));
  b[7] = static_cast<std::uint8_t>(seq & 0xff);
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(rand_b >> (56 - 8 * i));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(36, '-');  // 8-4-4-4-12
  char* o = out.data();
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;
    *o++ = hex[b[i] >> 4];
    *o++ = hex[b[i] & 0x0f];
  }
  return out;
}

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace shopmesh::core
