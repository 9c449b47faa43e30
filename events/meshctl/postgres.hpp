#pragma once
// The PostgreSQL side of meshctl: where to connect (a superuser URL whose database part is swapped
// for each service's database), the outbox's replication slot, and the inbox rows that say which
// consumer group applied an event and when.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopmesh::meshctl {

/// The service databases, named after their service (SPEC §2).
const std::vector<std::string>& service_databases();

/// The base URL: `--pg`, else PG_SUPERUSER_URL, else one built from PG_HOST, PG_PORT, PG_SUPERUSER,
/// PG_PASSWORD with the stack's defaults (127.0.0.1, 55432, shopmesh, shopmesh-dev).
std::string resolve_pg_url(const std::optional<std::string>& flag,
                           const std::function<std::optional<std::string>(const char*)>& env);

/// `url` with its database replaced by `database` (URLs and `key=value` strings), with a 5 s
/// connect timeout unless one is set.
std::string database_url(std::string_view url, std::string_view database);

/// `url` without its password, for messages.
std::string redact_url(std::string_view url);

/// The outbox of one database: the replication slot its relay streams events from (see
/// shopmesh/events/relay.hpp).
struct OutboxStatus {
  std::string database;
  std::string slot;                 // shopmesh_outbox_<database>
  bool exists = false;              // false: no relay started here yet, so no event is read
  bool active = false;              // a relay streams from it
  std::string wal_status;           // reserved, extended, unreserved or lost
  long long retained_bytes = 0;     // WAL kept for the slot: current LSN - restart LSN
  long long unconfirmed_bytes = 0;  // WAL the relay has not confirmed published: current - confirmed LSN
  std::optional<double> lag_s;      // the relay's flush lag as PostgreSQL measured it, while it streams
};

/// A consumer group's inbox row for one event.
struct InboxEntry {
  std::string database;
  std::string consumer_group;
  std::string event_id;
  std::string processed_at;  // RFC 3339
  long long processed_at_ms = 0;
  std::string topic;  // the message that was applied
  int partition = -1;
  long long offset = -1;
};

/// One database that was not inspected, and why.
struct Skipped {
  std::string database;
  std::string reason;
};

class Postgres {
 public:
  explicit Postgres(std::string base_url) : base_url_(std::move(base_url)) {}

  /// Databases in the cluster; throws std::runtime_error when PostgreSQL cannot be reached.
  std::vector<std::string> databases() const;
  /// The outbox slot of `database`, or nullopt (with `skipped`) when it has neither the outbox's
  /// publication nor a slot (a database without events).
  std::optional<OutboxStatus> outbox_status(const std::string& database, Skipped& skipped) const;
  /// The inbox rows of `database` for these event ids (ids that are not UUIDs are ignored).
  std::vector<InboxEntry> inbox_entries(const std::string& database, const std::vector<std::string>& event_ids) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
};

}  // namespace shopmesh::meshctl
