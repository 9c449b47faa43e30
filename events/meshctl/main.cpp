// meshctl: see and operate what flows through Shopmesh's Kafka topics (SPEC §5). All logic lives
// in meshctl_lib; main only wires the terminal, the environment and the signals.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli.hpp"

namespace {

// Set by SIGINT/SIGTERM; `tail --follow` and long reads stop cleanly when it flips.
std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) {
  stop_requested.store(true);
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // `meshctl tail … | head` ends with a failed write, not a signal

  std::ios::sync_with_stdio(false);
  shopmesh::meshctl::Terminal terminal{std::cout, std::cerr, ::isatty(STDOUT_FILENO) == 1, stop_requested,
                                       [](const char* name) -> std::optional<std::string> {
                                         const char* v = std::getenv(name);
                                         if (v == nullptr) return std::nullopt;
                                         return std::string(v);
                                       }};
  const int rc = shopmesh::meshctl::run(argc, argv, terminal);
  std::cout.flush();
  return rc;
}
