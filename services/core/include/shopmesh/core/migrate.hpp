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

/// A named, independently versioned list of migrations: a service's own schema ("products"),
/// or a library's tables (the event bus's outbox and inbox: "events").
struct MigrationSet {
  std::string component;
  const std::vector<Migration>* migrations;
};

/// Applies every migration of each set not yet applied, each in its own transaction, in order.
/// Returns how many were applied.
int migrate(PgPool& pool, const std::vector<MigrationSet>& sets, Logger& log);

}  // namespace shopmesh::core
