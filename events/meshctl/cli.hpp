#pragma once
// meshctl's command line (CLI11): parses arguments into a command's options, runs it, and maps
// the outcome to the exit code: 0 ok, 1 operational failure (broker or database unreachable,
// refused replay), 2 usage error (with a message on stderr).
#include <atomic>
#include <ostream>

#include "commands.hpp"

namespace shopmesh::meshctl {

/// Where meshctl runs: its streams, whether stdout is a terminal (colours), the stop flag set by
/// SIGINT/SIGTERM, and the environment.
struct Terminal {
  std::ostream& out;
  std::ostream& err;
  bool out_is_tty = false;
  const std::atomic<bool>& stop;
  Environment env;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// Parses `argv` and runs the command; returns the process exit code.
int run(int argc, const char* const* argv, Terminal& terminal);

}  // namespace shopmesh::meshctl
