// meshctl's command line without a broker: usage errors exit 2 with a clear message on stderr
// (the checks all happen before meshctl connects to anything), help exits 0.
#include <sstream>

#include <catch2/catch.hpp>

#include "meshctl/cli.hpp"

using namespace shopmesh::meshctl;

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "meshctl");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  std::atomic<bool> stop{false};
  // An unreachable broker: a test that got past the usage checks would fail fast with exit 1.
  Terminal t{out, err, false, stop, [](const char* name) -> std::optional<std::string> {
               if (std::string(name) == "KAFKA_BROKERS") return "127.0.0.1:1";
               return std::nullopt;
             }};
  const int code = run(static_cast<int>(argv.size()), argv.data(), t);
  return {code, out.str(), err.str()};
}

void usage_error(std::vector<std::string> args, const std::string& message) {
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  INFO(joined);
  auto r = run_cli(std::move(args));
  CHECK(r.code == 2);
  CHECK(r.err.find(message) != std::string::npos);
  CHECK(r.err.find("--help' for usage") != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("meshctl cli: bad arguments exit 2 and say what is wrong", "[meshctl]") {
  usage_error({}, "needs a command: topics, tail, replay, dlq, outbox, order, top, wait");
  usage_error({"frobnicate"}, "unknown command 'frobnicate'");
  usage_error({"dlq", "purge"}, "unknown command 'purge' for 'meshctl dlq'");
  usage_error({"tail"}, "topic is required");
  usage_error({"top", "--interval-ms", "5"}, "--interval-ms: Value 5 not in range 200 to 3600000");
  usage_error({"tail", "t", "--from-beginning", "--since", "5m"}, "--from-beginning excludes --since");
  usage_error({"tail", "t", "--since", "yesterday"}, "--since: 'yesterday' is not a time");
  usage_error({"tail", "t", "--offset", "-3"}, "not a whole number >= 0");
  usage_error({"replay", "t", "--since", "x", "--to-group", "g"}, "--since: 'x' is not a time");
  usage_error({"replay", "t", "--since", "5m", "--until", "1m", "--to-group", "g"},
              "--until only applies to --to-topic");
  usage_error({"replay", "t", "--since", "5m"}, "replay needs a destination");
  usage_error({"replay", "t", "--to-group", "g"}, "--since is required");
  usage_error({"replay", "t", "--since", "5m", "--to-group", "g", "--to-topic", "u"}, "excludes");
  usage_error({"replay", "t", "--since", "1m", "--until", "5m", "--to-topic", "u"}, "must be after --since");
  usage_error({"replay", "t", "--since", "1h", "--to-group", "g", "--type", "ORDER_CREATED"},
              "only apply to --to-topic");
  usage_error({"dlq"}, "needs a command: list, show, redrive");
  usage_error({"dlq", "redrive", "x.dlq"}, "--offset N");
  usage_error({"dlq", "redrive", "x.dlq", "--offset", "a:1"}, "--offset 'a:1'");
  usage_error({"dlq", "redrive", "x.dlq", "--offset", "1", "--all"}, "excludes");
  usage_error({"outbox"}, "needs a command: status");
  usage_error({"order"}, "order_id is required");
  usage_error({"--color", "pink", "topics"}, "--color");
  usage_error({"topics", "ensure", "--replication-factor", "0", "/dev/null"}, "--replication-factor");
  usage_error({"topics", "ensure", "--replication-factor", "1", "--min-insync-replicas", "2", "/dev/null"},
              "no write to those topics could ever be acknowledged");
}

TEST_CASE("meshctl cli: help exits 0 on stdout", "[meshctl]") {
  auto r = run_cli({"--help"});
  CHECK(r.code == 0);
  CHECK(r.out.find("replay") != std::string::npos);
  auto sub = run_cli({"replay", "--help"});
  CHECK(sub.code == 0);
  CHECK(sub.out.find("--to-group") != std::string::npos);
}

TEST_CASE("meshctl cli: an unreachable broker is an operational failure, exit 1", "[meshctl]") {
  auto r = run_cli({"--timeout-ms", "300", "tail", "order.events"});
  CHECK(r.code == 1);
  CHECK(r.err.find("cannot reach Kafka at 127.0.0.1:1") != std::string::npos);
}
