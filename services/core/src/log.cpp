#include "shopmesh/core/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
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
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  const std::string ts = timestamp();
  w.Key("ts");
  w.String(ts.c_str());
  w.Key("level");
  w.String(level_name(level));
  w.Key("service");
  w.String(service_.c_str());
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  for (const auto& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    if (f.raw)
      w.RawValue(f.value.data(), f.value.size(), rapidjson::kNumberType);
    else
      w.String(f.value.data(), static_cast<rapidjson::SizeType>(f.value.size()));
  }
  w.EndObject();
  std::lock_guard lock(mutex_);
  std::fwrite(buf.GetString(), 1, buf.GetSize(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace shopmesh::core
