// core::Logger: each line is one JSON object with the fields in order, strings escaped as
// RapidJSON's Writer escapes them, numbers unquoted; batched info lines (flush_every) are written
// within the interval, before any warn line, and at destruction.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "shopmesh/core/log.hpp"

using namespace shopmesh::core;

namespace {

// What `write` sends to stdout, read back from a temporary file standing in for it.
template <class Write>
std::string captured(Write write) {
  std::fflush(stdout);
  std::FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(::fileno(tmp), STDOUT_FILENO);
  write();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::string out;
  std::rewind(tmp);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) out.append(buf, n);
  std::fclose(tmp);
  return out;
}

std::string rapidjson_string(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

TEST_CASE("log: a line is one JSON object with the fields in order") {
  Logger log("gateway", LogLevel::info);
  const std::string line = captured([&] {
    log.info("access", {{"requestId", "r-1"}, num("status", 200LL), num("durationMs", 1.25), {"path", "/api/x"}});
  });
  REQUIRE(line.size() > 1);
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  CHECK(d["level"] == "info");
  CHECK(d["service"] == "gateway");
  CHECK(d["message"] == "access");
  CHECK(d["requestId"] == "r-1");
  CHECK(d["status"].GetInt() == 200);
  CHECK(d["durationMs"].GetDouble() == 1.25);
  const std::string ts = d["ts"].GetString();
  CHECK(ts.size() == 24);
  CHECK(ts.back() == 'Z');
  std::vector<std::string> keys;
  for (const auto& m : d.GetObject()) keys.emplace_back(m.name.GetString());
  CHECK(keys == std::vector<std::string>{"ts", "level", "service", "message", "requestId", "status", "durationMs", "path"});
}

TEST_CASE("log: a duration is written in milliseconds with three decimals") {
  Logger log("gateway", LogLevel::info);
  using std::chrono::microseconds;
  for (const auto& [us, text] : std::vector<std::pair<long long, std::string>>{
           {0, "0.000"}, {5, "0.005"}, {1250, "1.250"}, {999'999, "999.999"}, {12'345'678, "12345.678"}, {-3, "0.000"}}) {
    const std::string line = captured([&] { log.info("access", {millis("durationMs", microseconds(us))}); });
    CHECK(line.find("\"durationMs\":" + text + "}") != std::string::npos);
    rapidjson::Document d;
    d.Parse(line.c_str());
    REQUIRE_FALSE(d.HasParseError());
  }
}

TEST_CASE("log: strings are escaped as RapidJSON's Writer escapes them") {
  Logger log("svc", LogLevel::debug);
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  for (const std::string& text : {std::string("plain"), std::string("quote \" and \\ backslash"),
                                  std::string("tab\tnew\nline\r\b\f"), std::string("nul \0 inside", 12),
                                  std::string("caf\xc3\xa9 / </script>"), every_byte, std::string()}) {
    const std::string line = captured([&] { log.debug("m", {{"v", text}}); });
    const std::string expected = ",\"v\":" + rapidjson_string(text) + "}\n";
    REQUIRE(line.size() >= expected.size());
    CHECK(line.substr(line.size() - expected.size()) == expected);
  }
}

TEST_CASE("log: numbers are unquoted, a non-finite one is null, a line below the level is not written") {
  Logger log("svc", LogLevel::warn);
  CHECK(captured([&] { log.info("hidden"); }).empty());
  const std::string line = captured([&] {
    log.warn("n", {num("neg", -42LL), num("big", 9007199254740993LL), num("nan", std::nan("")),
                   num("small", 0.000123)});
  });
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["neg"].GetInt64() == -42);
  CHECK(d["big"].GetInt64() == 9007199254740993LL);
  CHECK(d["nan"].IsNull());
  CHECK(d["small"].GetDouble() == 0.000123);
}

TEST_CASE("log: with flush_every, info lines wait for the interval and a warn line takes them along") {
  auto log = std::make_unique<Logger>("svc", LogLevel::info);
  log->flush_every(std::chrono::milliseconds(200));
  const std::string waited = captured([&] { log->info("first"); });
  const std::string after_interval = captured([&] {
    log->info("second");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  });
  const std::string with_warn = captured([&] {
    log->info("third");
    log->warn("fourth");
  });
  // Destruction writes what still waits: nothing is lost.
  const std::string at_end = captured([&] {
    log->info("fifth");
    log.reset();
  });
  CHECK(waited.empty());
  CHECK(after_interval.find("\"first\"") != std::string::npos);
  CHECK(after_interval.find("\"second\"") != std::string::npos);
  CHECK(with_warn.find("\"fourth\"") != std::string::npos);
  CHECK(with_warn.find("\"third\"") < with_warn.find("\"fourth\""));
  CHECK(at_end.find("\"fifth\"") != std::string::npos);
}

TEST_CASE("log: with flush_every, lines piling up past the mark are written before the interval ends") {
  auto log = std::make_unique<Logger>("svc", LogLevel::info);
  log->flush_every(std::chrono::seconds(10));
  const std::string padding(1000, 'x');
  const std::string early = captured([&] {
    for (int i = 0; i < 400; ++i) log->info("busy", {{"padding", padding}});  // ~420 KB: past the mark once
    for (int i = 0; i < 200; ++i) {  // the flusher, woken once, writes within moments, not in 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (::lseek(STDOUT_FILENO, 0, SEEK_END) > 0) break;
    }
  });
  const std::string rest = captured([&] { log.reset(); });  // what waited for the interval: nothing lost
  CHECK(early.size() > 256 * 1024);
  CHECK(std::count(early.begin(), early.end(), '\n') + std::count(rest.begin(), rest.end(), '\n') == 400);
}
