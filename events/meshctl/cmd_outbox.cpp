// meshctl outbox status: per service database, the replication slot its outbox relay streams
// events from: whether a relay reads it, its WAL status, the WAL it retains and the WAL not yet
// confirmed published, and the relay's lag.
#include <chrono>
#include <set>

#include "commands.hpp"
#include "postgres.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {

std::string render_outbox_json(const OutboxStatus& s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("database");
  write_string(w, s.database);
  w.Key("slot");
  write_string(w, s.slot);
  w.Key("exists");
  w.Bool(s.exists);
  w.Key("active");
  w.Bool(s.active);
  w.Key("walStatus");
  if (s.exists)
    write_string(w, s.wal_status);
  else
    w.Null();
  w.Key("retainedBytes");
  if (s.exists)
    w.Int64(s.retained_bytes);
  else
    w.Null();
  w.Key("unconfirmedBytes");
  if (s.exists)
    w.Int64(s.unconfirmed_bytes);
  else
    w.Null();
  w.Key("lagSeconds");
  if (s.lag_s)
    w.Double(*s.lag_s);
  else
    w.Null();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + '\n';
}

std::string render_outbox_text(const std::vector<OutboxStatus>& rows, const std::vector<Skipped>& skipped,
                               const Style& style) {
  std::string out = style.bold(fmt("%-14s %-32s %-9s %-10s %10s %12s %8s", "SERVICE", "SLOT", "RELAY", "WAL",
                                   "RETAINED", "UNCONFIRMED", "LAG")) +
                    '\n';
  for (const auto& s : rows) {
    out += fmt("%-14s %-32s ", s.database.c_str(), s.slot.c_str());
    if (!s.exists) {
      // Events written before a relay creates the slot are never read: this needs attention.
      out += style.bad(fmt("%-9s", "no slot")) + fmt(" %-10s %10s %12s %8s", "-", "-", "-", "-") + '\n';
      continue;
    }
    const std::string relay = fmt("%-9s", s.active ? "streaming" : "away");
    std::string wal = fmt("%-10s", s.wal_status.c_str());
    if (s.wal_status == "lost") wal = style.bad(wal);  // the slot's backlog is gone: events were lost
    if (s.wal_status == "unreserved") wal = style.warn(wal);
    const std::string lag =
        s.lag_s ? format_age(std::chrono::milliseconds(static_cast<long long>(*s.lag_s * 1000.0))) : "-";
    out += (s.active ? relay : style.warn(relay)) + ' ' + wal +
           fmt(" %10s %12s %8s", format_bytes(s.retained_bytes).c_str(), format_bytes(s.unconfirmed_bytes).c_str(),
               lag.c_str()) +
           '\n';
  }
  if (!skipped.empty()) {
    std::string text;
    for (const auto& s : skipped) text += (text.empty() ? "" : ", ") + s.database + " (" + s.reason + ")";
    out += style.dim("not inspected: " + text) + '\n';
  }
  return out;
}

int run_outbox_status(Context& ctx, const OutboxOptions& o) {
  Postgres pg(resolve_pg_url(ctx.pg_url, ctx.env));
  const auto existing_list = pg.databases();
  const std::set<std::string> existing(existing_list.begin(), existing_list.end());
  const auto& wanted = o.databases.empty() ? service_databases() : o.databases;

  std::vector<OutboxStatus> rows;
  std::vector<Skipped> skipped;
  for (const auto& db : wanted) {
    if (!existing.count(db)) {
      skipped.push_back({db, "no database"});
      continue;
    }
    try {
      Skipped why;
      if (auto s = pg.outbox_status(db, why))
        rows.push_back(*s);
      else
        skipped.push_back(why);
    } catch (const std::exception& e) {
      skipped.push_back({db, one_line(e.what(), 200)});
    }
  }

  if (!o.json) {
    ctx.out << render_outbox_text(rows, skipped, ctx.style);
    return 0;
  }
  for (const auto& s : rows) ctx.out << render_outbox_json(s);
  for (const auto& s : skipped) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("database");
    write_string(w, s.database);
    w.Key("skipped");
    write_string(w, s.reason);
    w.EndObject();
    ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
  }
  return 0;
}

}  // namespace shopmesh::meshctl
