#include "shopmesh/core/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "shopmesh/core/thread_name.hpp"

namespace shopmesh::core {
namespace {

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). The part up to the seconds is formatted once per second
// per thread: an access log writes many lines a second.
struct Timestamp {
  long long second = -1;
  std::size_t prefix = 0;  // length up to and with the '.'
  char text[96] = {};
};

const char* timestamp() {
  using namespace std::chrono;
  thread_local Timestamp ts;
  const auto ms_since_epoch = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const long long second = ms_since_epoch / 1000;
  if (second != ts.second) {
    const std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const int n = std::snprintf(ts.text, sizeof ts.text - 5, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ts.prefix = std::min<std::size_t>(static_cast<std::size_t>(std::max(n, 0)), sizeof ts.text - 6);
    ts.second = second;
  }
  const int ms = static_cast<int>(ms_since_epoch % 1000);
  char* p = ts.text + ts.prefix;
  p[0] = static_cast<char>('0' + ms / 100);
  p[1] = static_cast<char>('0' + ms / 10 % 10);
  p[2] = static_cast<char>('0' + ms % 10);
  p[3] = 'Z';
  p[4] = '\0';
  return ts.text;
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: nothing better to do
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// What a byte of a JSON string is written as: 0 copied as it is, 'u' as \u00XX, else '\' and it.
// The escapes RapidJSON's Writer uses; bytes of 0x80 and above (UTF-8) are copied.
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// Whether any of the 8 bytes in `w` is below 0x20, '"' or '\\' (exact as a whole; haszero and
// hasless from "Bit Twiddling Hacks").
bool needs_escape(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  return ((w - ones * 0x20) & ~w & highs) | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\'));
}

// Writes a line into memory reserved for its longest possible form, with no check per byte: an
// access log line is some 35 short strings, where std::string's per-append checks and RapidJSON's
// byte-by-byte Writer cost more than the copying.
class LineWriter {
 public:
  /// The most a string of `n` bytes can take: every byte escaped as \u00XX, and its quotes.
  static std::size_t worst_case(std::size_t n) { return 6 * n + 2; }

  explicit LineWriter(char* p) : p_(p) {}
  char* end() const { return p_; }

  void raw(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void ch(char c) { *p_++ = c; }

  void string(std::string_view text) {
    ch('"');
    const char* s = text.data();
    const std::size_t n = text.size();
    std::size_t run = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if ((i & 7) == 0 && i + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, s + i, sizeof w);
        if (!needs_escape(w)) {
          i += 7;
          continue;
        }
      }
      const char e = kEscape[static_cast<unsigned char>(s[i])];
      if (e == 0) continue;
      raw({s + run, i - run});
      run = i + 1;
      ch('\\');
      if (e == 'u') {
        static constexpr char hex[] = "0123456789ABCDEF";
        const auto c = static_cast<unsigned char>(s[i]);
        raw("u00");
        ch(hex[c >> 4]);
        ch(hex[c & 0xf]);
      } else {
        ch(e);
      }
    }
    raw({s + run, n - run});
    ch('"');
  }

  void key(std::string_view k) {
    ch(',');
    string(k);
    ch(':');
  }

  template <class Number>
  void number(Number v) {
    p_ = std::to_chars(p_, p_ + kNumberBytes, v).ptr;
  }

  static constexpr std::size_t kNumberBytes = 32;  // the longest double or integer, and more

 private:
  char* p_;
};

}  // namespace

LogLevel parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  throw std::invalid_argument("unknown log level");
}

Logger::Logger(std::string service, LogLevel level) : service_(std::move(service)), level_(level) {}

// Batched lines (flush_every): the flusher is woken early once this much waits, and a logging
// thread writes itself once ten times that waits (the disk is not keeping up: back pressure). Each
// early wake preempts an I/O thread sharing its CPU: at 18k access lines a second (6.6 MB/s) a
// 64 KB mark woke the flusher 300 times a second, this one about 25.
constexpr std::size_t kWakeFlusherAt = 256 * 1024;
constexpr std::size_t kWriteInlineAt = 10 * kWakeFlusherAt;

Logger::~Logger() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  std::unique_lock lock(mutex_);
  write_out(lock, {});
}

void Logger::flush_every(std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  if (flusher_.joinable() || interval.count() <= 0) return;  // set once, at start
  interval_ = interval;
  flusher_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("log-flush");
    yield_on_wakeup();
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      wake_.wait_for(lock, stop, interval_, [this] { return pending_.size() >= kWakeFlusherAt; });
      write_out(lock, {});
      lock.lock();
    }
  });
}

void Logger::write_out(std::unique_lock<std::mutex>& lock, std::string_view line) {
  std::string batch = std::move(pending_);
  pending_ = std::move(spare_);  // the last batch's memory: appending does not grow it again
  pending_.clear();
  {
    // Taken before mutex_ is let go: batches reach the file in the order they were taken, and no
    // thread that only appends to pending_ ever waits for the disk.
    std::lock_guard out(output_);
    lock.unlock();
    std::fflush(stdout);  // whatever else went through stdio comes first
    write_all(STDOUT_FILENO, batch.data(), batch.size());
    write_all(STDOUT_FILENO, line.data(), line.size());
  }
  lock.lock();
  if (batch.capacity() > spare_.capacity()) spare_ = std::move(batch);
  lock.unlock();
}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  const std::string_view ts = timestamp();
  std::size_t most = 96 + ts.size() + LineWriter::worst_case(service_.size()) + LineWriter::worst_case(message.size());
  for (const auto& f : fields)
    most += 2 + LineWriter::worst_case(f.key.size()) +
            (f.kind == LogField::Kind::text ? LineWriter::worst_case(f.text.size()) : LineWriter::kNumberBytes);
  thread_local std::vector<char> buffer;  // reused: no allocation per line once it has grown
  if (buffer.size() < most) buffer.resize(most);
  LineWriter w(buffer.data());
  w.raw("{\"ts\":\"");
  w.raw(ts);
  w.raw("\",\"level\":\"");
  w.raw(level_name(level));
  w.ch('"');
  w.key("service");
  w.string(service_);
  w.key("message");
  w.string(message);
  for (const auto& f : fields) {
    w.key(f.key);
    switch (f.kind) {
      case LogField::Kind::text:
        w.string(f.text);
        break;
      case LogField::Kind::integer:
        w.number(f.integer);
        break;
      case LogField::Kind::real:
        if (std::isfinite(f.real))
          w.number(f.real);
        else
          w.raw("null");
        break;
      case LogField::Kind::millis: {
        const long long us = f.integer < 0 ? 0 : f.integer;
        w.number(us / 1000);
        const auto frac = static_cast<int>(us % 1000);
        const char decimals[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                                  static_cast<char>('0' + frac % 10)};
        w.raw({decimals, sizeof decimals});
        break;
      }
    }
  }
  w.raw("}\n");
  const std::string_view line(buffer.data(), static_cast<std::size_t>(w.end() - buffer.data()));
  std::unique_lock lock(mutex_);
  if (interval_.count() > 0 && level < LogLevel::warn && pending_.size() < kWriteInlineAt) {
    const bool below = pending_.size() < kWakeFlusherAt;
    pending_.append(line);
    if (below && pending_.size() >= kWakeFlusherAt) wake_.notify_one();  // once, as the mark is crossed
    return;
  }
  write_out(lock, line);
}

}  // namespace shopmesh::core
