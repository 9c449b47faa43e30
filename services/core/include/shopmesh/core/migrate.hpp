#pragma once
// Versioned SQL migrations, embedded in each service binary and applied at start under an
// advisory lock, so several instances can start at once. Applied versions are never re-run;
// an edited migration (checksum mismatch) stops the service.
#include <string>
#include <vector>

namespace shopmesh::core {

class Logger;
class PgPool;

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

/// Applies every migration newer than the database's version, each in its own transaction.
/// Returns how many were applied.
int migrate(PgPool& pool, const std::vector<Migration>& migrations, Logger& log);

}  // namespace shopmesh::core
