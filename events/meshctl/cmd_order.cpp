// meshctl order ORDER_ID: the timeline of one order's events across topics, in the order they
// happened, with the consumer groups that applied each (from the services' inbox tables) and any
// dead letters they produced.
#include <algorithm>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "kafka.hpp"
#include "postgres.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {
namespace {

struct Entry {
  Record record;
  Inspection inspection;
  std::optional<long long> at_ms;
  std::vector<InboxEntry> handled;
  std::vector<std::pair<Record, DeadLetter>> dead;
  std::string id() const {
    return inspection.envelope ? inspection.envelope->id : header(record.headers, "event-id").value_or("");
  }
};

std::string signed_delta(long long ms) {
  return (ms < 0 ? "-" : "+") + format_age(std::chrono::milliseconds(ms < 0 ? -ms : ms));
}

}  // namespace

int run_order(Context& ctx, const OrderOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  const auto all_topics = kafka.list_topics();
  auto exists = [&](const std::string& name) {
    return std::any_of(all_topics.begin(), all_topics.end(), [&](const auto& t) { return t.name == name; });
  };
  std::vector<std::string> names = o.topics;
  if (names.empty()) {
    for (const char* t : {"order.events", "stock.events", "shipping.events", "notification.events"})
      if (exists(t)) names.emplace_back(t);
  } else {
    for (const auto& t : names)
      if (!exists(t)) throw std::runtime_error("topic '" + t + "' does not exist on " + ctx.brokers);
  }
  if (names.empty())
    throw std::runtime_error("none of order.events, stock.events, shipping.events exist on " + ctx.brokers);

  std::vector<ReadRange> ranges, dlq_ranges;
  for (const auto& t : all_topics) {
    const bool wanted = std::find(names.begin(), names.end(), t.name) != names.end();
    if (!wanted && !is_dlq_topic(t.name)) continue;
    for (const auto& m : kafka.watermarks(t))
      (wanted ? ranges : dlq_ranges).push_back({t.name, m.partition, m.low, m.high});
  }
  std::vector<Entry> entries;
  read_ranges(ctx.brokers, ranges, ReadOptions{false, &ctx.stop, ctx.timeout}, [&](Record&& r, bool) {
    Inspection i = inspect(r.value);
    if (!belongs_to_order(r, i, o.order_id)) return true;
    const auto at = event_time_ms(r, i);
    entries.push_back({std::move(r), std::move(i), at, {}, {}});
    return true;
  });
  std::set<std::string> ids;
  for (const auto& e : entries)
    if (!e.id().empty()) ids.insert(e.id());
  // Dead letters of this order: matched by event id (or by key / orderId when they never decoded).
  std::vector<std::pair<Record, DeadLetter>> dead;
  read_ranges(ctx.brokers, dlq_ranges, ReadOptions{false, &ctx.stop, ctx.timeout}, [&](Record&& r, bool) {
    const Inspection i = inspect(r.value);
    const std::string id = i.envelope ? i.envelope->id : header(r.headers, "event-id").value_or("");
    if ((!id.empty() && ids.count(id)) || belongs_to_order(r, i, o.order_id))
      dead.emplace_back(r, dead_letter_of(r.headers));
    return true;
  });
  if (ctx.stop) throw std::runtime_error("interrupted");
  for (auto& [r, d] : dead) {
    const Inspection i = inspect(r.value);
    const std::string id = i.envelope ? i.envelope->id : header(r.headers, "event-id").value_or("");
    // The message that failed (its original position), else the first copy of that event.
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.record.topic == d.original_topic && d.original_partition == e.record.partition &&
             d.original_offset == e.record.offset;
    });
    if (it == entries.end())
      it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return !id.empty() && e.id() == id; });
    if (it != entries.end()) it->dead.emplace_back(r, d);
  }

  if (!o.no_db && !ids.empty()) {
    try {
      Postgres pg(resolve_pg_url(ctx.pg_url, ctx.env));
      const auto existing = pg.databases();
      const std::vector<std::string> id_list(ids.begin(), ids.end());
      const auto& wanted = o.databases.empty() ? service_databases() : o.databases;
      for (const auto& db : wanted) {
        if (std::find(existing.begin(), existing.end(), db) == existing.end()) continue;
        try {
          for (auto& inbox : pg.inbox_entries(db, id_list)) {
            // The exact message a group applied (a redriven or replayed copy is another message
            // with the same id), else the first copy of the event.
            auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
              return e.record.topic == inbox.topic && e.record.partition == inbox.partition &&
                     e.record.offset == inbox.offset;
            });
            if (it == entries.end())
              it = std::find_if(entries.begin(), entries.end(),
                                [&](const Entry& e) { return e.id() == inbox.event_id; });
            if (it != entries.end()) it->handled.push_back(std::move(inbox));
          }
        } catch (const std::exception& ex) {
          ctx.err << "meshctl: warning: inbox of " << db << ": " << one_line(ex.what(), 200) << '\n';
        }
      }
    } catch (const std::exception& ex) {
      ctx.err << "meshctl: warning: who handled each event is unknown: " << one_line(ex.what(), 300) << '\n';
    }
  }

  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.at_ms, a.record.timestamp_ms, a.record.topic, a.record.partition, a.record.offset) <
           std::tie(b.at_ms, b.record.timestamp_ms, b.record.topic, b.record.partition, b.record.offset);
  });
  std::string scanned;
  for (const auto& n : names) scanned += (scanned.empty() ? "" : ", ") + n;
  if (entries.empty()) {
    ctx.err << "meshctl: no events for order " << o.order_id << " in " << scanned << '\n';
    return 1;
  }

  if (o.json) {
    for (const auto& e : entries) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      w.Key("occurredAt");
      if (e.at_ms)
        write_string(w, format_epoch_ms(*e.at_ms));
      else
        w.Null();
      write_record_members(w, e.record, e.inspection);
      w.Key("handledBy");
      w.StartArray();
      for (const auto& h : e.handled) {
        w.StartObject();
        w.Key("group");
        write_string(w, h.consumer_group);
        w.Key("processedAt");
        write_string(w, h.processed_at);
        w.Key("database");
        write_string(w, h.database);
        w.EndObject();
      }
      w.EndArray();
      w.Key("deadLettered");
      w.StartArray();
      for (const auto& [r, d] : e.dead) {
        w.StartObject();
        w.Key("dlq");
        write_string(w, r.topic);
        w.Key("partition");
        w.Int(r.partition);
        w.Key("offset");
        w.Int64(r.offset);
        w.Key("group");
        write_string(w, d.consumer_group);
        w.Key("errorClass");
        write_string(w, d.error_class);
        w.Key("errorMessage");
        write_string(w, d.error_message);
        w.Key("failedAt");
        write_string(w, d.failed_at);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
    }
    return 0;
  }

  const auto first = entries.front().at_ms;
  const auto last = entries.back().at_ms;
  ctx.out << ctx.style.bold("order " + o.order_id) << ": " << entries.size() << " event(s)";
  if (first && last) ctx.out << ", " << format_epoch_ms(*first) << " .. " << format_epoch_ms(*last);
  ctx.out << "  (" << scanned << ")\n";
  for (const auto& e : entries) {
    const auto& r = e.record;
    const auto& i = e.inspection;
    char head[160];
    std::snprintf(head, sizeof head, "%-24s %8s  ", e.at_ms ? format_epoch_ms(*e.at_ms).c_str() : "-",
                  e.at_ms && first ? signed_delta(*e.at_ms - *first).c_str() : "");
    std::string type = event_type(r, i);
    if (i.envelope) type += " v" + std::to_string(i.envelope->version);
    char mid[96];
    std::snprintf(mid, sizeof mid, "%-26s", type.c_str());
    ctx.out << head << ctx.style.bold(mid) << "  " << ctx.style.dim(position(r))
            << "  producer=" << (i.envelope ? i.envelope->producer : "?") << "  id=" << (e.id().empty() ? "?" : e.id())
            << "  "
            << (i.valid() ? ctx.style.ok("✓")
                          : ctx.style.bad("✗ " + one_line(i.errors.empty() ? "" : i.errors.front(), 200)))
            << '\n';
    if (auto from = header(r.headers, "redriven-from")) ctx.out << "      redriven from " << *from << '\n';
    if (auto from = header(r.headers, "replay-of")) ctx.out << "      replay of " << *from << '\n';
    if (!e.handled.empty()) {
      std::string text;
      for (const auto& h : e.handled)
        text += (text.empty() ? "" : ", ") + h.consumer_group +
                (e.at_ms ? " (" + signed_delta(h.processed_at_ms - *e.at_ms) + ")" : " (" + h.processed_at + ")");
      ctx.out << "      handled by  " << text << '\n';
    } else if (!o.no_db) {
      ctx.out << ctx.style.dim("      handled by  (none)") << '\n';
    }
    for (const auto& [dr, d] : e.dead)
      ctx.out << "      " << ctx.style.bad("dead-lettered") << " by " << d.consumer_group << " into " << position(dr)
              << ": " << d.error_class << ": " << one_line(d.error_message, 200) << '\n';
  }
  return 0;
}

}  // namespace shopmesh::meshctl
