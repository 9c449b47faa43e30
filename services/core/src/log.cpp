#include "shopmesh/core/log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

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

}  // namespace

LogLevel parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  throw std::invalid_argument("unknown log level");
}

Logger::Logger(std::string service, LogLevel level) : service_(std::move(service)), level_(level) {}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  thread_local rapidjson::StringBuffer buf(nullptr, 1024);  // reused: no allocation per line
  buf.Clear();
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("ts");
  w.String(timestamp());
  w.Key("level");
  w.String(level_name(level));
  w.Key("service");
  w.String(service_.data(), static_cast<rapidjson::SizeType>(service_.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  for (const auto& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    switch (f.kind) {
      case LogField::Kind::text:
        w.String(f.text.data(), static_cast<rapidjson::SizeType>(f.text.size()));
        break;
      case LogField::Kind::integer:
        w.Int64(f.integer);
        break;
      case LogField::Kind::real:
        std::isfinite(f.real) ? w.Double(f.real) : w.Null();
        break;
    }
  }
  w.EndObject();
  buf.Put('\n');
  std::lock_guard lock(mutex_);
  std::fflush(stdout);  // whatever else went through stdio comes first
  write_all(STDOUT_FILENO, buf.GetString(), buf.GetSize());
}

}  // namespace shopmesh::core
