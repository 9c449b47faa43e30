#include "shopmesh/core/migrate.hpp"

#include <stdexcept>

#include <openssl/evp.h>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"

namespace shopmesh::core {
namespace {

// Same value in every service: each service has its own database, so one key suffices.
constexpr long long kMigrationLock = 0x5348'4f50'4d45'5348LL;  // "SHOPMESH"

std::string checksum(const std::string& sql) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(sql.data(), sql.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

// The runner's SQL stays here rather than in a queries.sql: part of it is built at run time (the
// lock function's name, the migrations' own text), and it runs once at start-up, before the schema
// the services' queries need exists.
void advisory(pqxx::connection& c, const char* fn) {
  pqxx::work tx(c);
  tx.exec("SET LOCAL statement_timeout = 0");  // waiting for another instance's migrations is fine
  tx.exec(std::string("SELECT ") + fn + "(" + std::to_string(kMigrationLock) + ")");
  tx.commit();
}

}  // namespace

int migrate(PgPool& pool, const std::vector<MigrationSet>& sets, Logger& log) {
  return pool.with_connection([&](pqxx::connection& c) {
    advisory(c, "pg_advisory_lock");
    int applied = 0;
    try {
      {
        pqxx::work tx(c);
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component text NOT NULL, version integer NOT NULL, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))");
        tx.commit();
      }
      for (const auto& set : sets) {
        for (const auto& m : *set.migrations) {
          pqxx::work tx(c);
          tx.exec("SET LOCAL statement_timeout = 0");
          auto existing = tx.exec_params(
              "SELECT checksum FROM schema_migrations WHERE component = $1 AND version = $2", set.component, m.version);
          if (!existing.empty()) {
            if (existing[0][0].as<std::string>() != checksum(m.sql))
              throw std::runtime_error("migration " + set.component + "/" + std::to_string(m.version) + "_" + m.name +
                                       " was edited after it was applied; add a new migration instead");
            continue;
          }
          tx.exec(m.sql);
          tx.exec_params("INSERT INTO schema_migrations(component, version, name, checksum) VALUES ($1, $2, $3, $4)",
                         set.component, m.version, m.name, checksum(m.sql));
          tx.commit();
          ++applied;
          log.info("migration applied",
                   {{"component", set.component}, num("version", static_cast<long long>(m.version)), {"name", m.name}});
        }
      }
    } catch (...) {
      advisory(c, "pg_advisory_unlock");
      throw;
    }
    advisory(c, "pg_advisory_unlock");
    return applied;
  });
}

}  // namespace shopmesh::core
