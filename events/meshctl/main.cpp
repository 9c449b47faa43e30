// meshctl: operate the mesh's Kafka side. Subcommands grow with the event bus; `topics` lists
// topics with partitions and end offsets, `topics ensure` creates what contracts/topics.json names.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "admin.hpp"
#include "shopmesh/events/topics.hpp"

int main(int argc, char** argv) {
  using namespace shopmesh;
  CLI::App app{"meshctl: see and operate what flows through Shopmesh's Kafka topics"};
  app.require_subcommand(1);
  std::string brokers = "127.0.0.1:9092";
  if (const char* env = std::getenv("KAFKA_BROKERS")) brokers = env;
  app.add_option("--brokers", brokers, "Kafka bootstrap servers (env KAFKA_BROKERS)");
  int timeout_ms = 10'000;
  app.add_option("--timeout-ms", timeout_ms, "How long to wait for the broker")->check(CLI::Range(100, 600'000));

  auto* topics = app.add_subcommand("topics", "List topics with partitions and end offsets");
  auto* ensure = topics->add_subcommand("ensure", "Create the topics and dead-letter topics a catalogue names");
  std::string catalogue_path = "contracts/topics.json";
  ensure->add_option("catalogue", catalogue_path, "Path of contracts/topics.json")->check(CLI::ExistingFile);
  auto* wait = app.add_subcommand("wait", "Wait until the broker answers a metadata request");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    meshctl::Admin admin(brokers);
    if (wait->parsed()) return admin.wait_ready(std::chrono::milliseconds(timeout_ms)) ? 0 : 1;
    if (ensure->parsed()) {
      std::ifstream in(catalogue_path);
      std::stringstream ss;
      ss << in.rdbuf();
      auto catalogue = events::TopicCatalogue::parse(ss.str());
      if (!admin.wait_ready(std::chrono::milliseconds(timeout_ms))) {
        std::fprintf(stderr, "meshctl: broker %s did not answer within %d ms\n", brokers.c_str(), timeout_ms);
        return 1;
      }
      return admin.ensure_topics(catalogue.all_topics(), std::chrono::milliseconds(timeout_ms)) ? 0 : 1;
    }
    if (topics->parsed()) return admin.print_topics(std::chrono::milliseconds(timeout_ms)) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshctl: %s\n", e.what());
    return 1;
  }
  return 0;
}
