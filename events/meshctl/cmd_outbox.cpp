// meshctl outbox status: per service database, the outbox rows not yet published to Kafka, how
// old the oldest is, the last publish error, and what was published in the last minute.
#include <chrono>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "postgres.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {

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

  if (o.json) {
    for (const auto& s : rows) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      w.Key("database");
      write_string(w, s.database);
      w.Key("unpublished");
      w.Int64(s.unpublished);
      w.Key("oldestUnpublishedAgeSeconds");
      if (s.oldest_unpublished_age_s)
        w.Double(*s.oldest_unpublished_age_s);
      else
        w.Null();
      w.Key("maxAttempts");
      w.Int64(s.max_attempts);
      w.Key("lastError");
      if (s.last_error)
        write_string(w, *s.last_error);
      else
        w.Null();
      w.Key("publishedLastMinute");
      w.Int64(s.published_last_minute);
      w.Key("lastPublishedAt");
      if (s.last_published_at)
        write_string(w, *s.last_published_at);
      else
        w.Null();
      w.Key("rows");
      w.Int64(s.total);
      w.EndObject();
      ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
    }
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

  ctx.out << ctx.style.bold(fmt("%-14s %11s %10s %8s %12s  %-24s  %s", "SERVICE", "UNPUBLISHED", "OLDEST", "ATTEMPTS",
                                "PUBLISHED/1m", "LAST PUBLISHED", "LAST ERROR"))
          << '\n';
  for (const auto& s : rows) {
    const std::string age =
        s.oldest_unpublished_age_s
            ? format_age(std::chrono::milliseconds(static_cast<long long>(*s.oldest_unpublished_age_s * 1000.0)))
            : "-";
    const std::string unpublished = fmt("%11lld", s.unpublished);
    ctx.out << fmt("%-14s ", s.database.c_str()) << (s.unpublished > 0 ? ctx.style.warn(unpublished) : unpublished)
            << fmt(" %10s %8lld %12lld  %-24s  ", age.c_str(), s.max_attempts, s.published_last_minute,
                   s.last_published_at.value_or("-").c_str())
            << (s.last_error ? ctx.style.bad(one_line(*s.last_error, 120)) : "-") << '\n';
  }
  if (!skipped.empty()) {
    std::string text;
    for (const auto& s : skipped) text += (text.empty() ? "" : ", ") + s.database + " (" + s.reason + ")";
    ctx.out << ctx.style.dim("not inspected: " + text) << '\n';
  }
  return 0;
}

}  // namespace shopmesh::meshctl
