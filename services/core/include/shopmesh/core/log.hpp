#pragma once
// One JSON object per line: {ts, level, service, message, requestId?, traceId?, ...fields}.
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace shopmesh::core {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug|info|warn|error"; throws std::invalid_argument otherwise.
LogLevel parse_log_level(std::string_view text);

/// A key/value pair added to a log line. It refers to its text (fields live only for the log
/// call they are written in); numbers are kept as numbers and written unquoted.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  enum class Kind : unsigned char { text, integer, real, millis };  // millis: `integer` microseconds
  std::string_view key;
  std::string_view text;
  Kind kind = Kind::text;
  long long integer = 0;
  double real = 0;
};

/// Writes structured log lines to stdout. Thread-safe; one instance per process, built in main.
class Logger {
 public:
  Logger(std::string service, LogLevel level);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// Lets debug and info lines wait in memory for up to `interval` (or until 64 KiB wait) and go out
  /// in one write from a thread of the logger's own, as Envoy flushes its access logs: at tens of
  /// thousands of requests a second a write per line was a twentieth of the gateway's CPU, and the
  /// thread serving requests never waits for the disk. Warn and error lines go out at once, after
  /// whatever waits; destruction writes what waits. Zero (the default) writes every line at once.
  /// A process killed with SIGKILL loses at most `interval` of lines.
  void flush_every(std::chrono::milliseconds interval);

  bool enabled(LogLevel level) const { return level >= level_; }
  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::error, m, f); }

  const std::string& service() const { return service_; }

 private:
  /// Writes what waits, then `line`; called with `lock` held on mutex_, returns with it released.
  void write_out(std::unique_lock<std::mutex>& lock, std::string_view line);

  std::string service_;
  LogLevel level_;
  std::mutex mutex_;     // guards pending_, spare_ and interval_
  std::mutex output_;    // held while writing: taken with mutex_ held, so writes keep their order
  std::string pending_;  // lines waiting for the flusher (flush_every)
  std::string spare_;    // the memory of the batch written last, for pending_ to reuse
  std::chrono::milliseconds interval_{0};
  std::condition_variable_any wake_;
  std::jthread flusher_;  // declared last: stopped before the rest goes
};

/// Convenience for numeric fields.
inline LogField num(std::string_view key, long long v) {
  LogField f(key, {});
  f.kind = LogField::Kind::integer;
  f.integer = v;
  return f;
}
inline LogField num(std::string_view key, double v) {
  LogField f(key, {});
  f.kind = LogField::Kind::real;
  f.real = v;
  return f;
}
/// A duration in milliseconds with three decimals (1234 µs: 1.234), written without a double.
inline LogField millis(std::string_view key, std::chrono::steady_clock::duration d) {
  LogField f(key, {});
  f.kind = LogField::Kind::millis;
  f.integer = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return f;
}

}  // namespace shopmesh::core
