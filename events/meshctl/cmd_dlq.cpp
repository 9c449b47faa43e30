// meshctl dlq: what sits in each dead-letter topic, each dead letter with the consumer's error
// headers and the decoded event, and redrive: send chosen dead letters back to their original topic.
#include <algorithm>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "kafka.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {
namespace {

// Reads the given positions (or the newest `limit` messages when none are given) of a topic.
std::vector<Record> read_positions(Context& ctx, Kafka& kafka, const TopicInfo& topic,
                                   const std::vector<Position>& positions, std::optional<std::size_t> limit) {
  const auto marks = kafka.watermarks(topic);
  std::vector<ReadRange> ranges;
  std::set<Position> wanted(positions.begin(), positions.end());
  if (positions.empty()) {
    const auto starts = limit ? last_n_starts(marks, static_cast<long long>(*limit)) : std::map<int, long long>{};
    for (const auto& m : marks)
      ranges.push_back({topic.name, m.partition, limit ? starts.at(m.partition) : m.low, m.high});
  } else {
    for (const auto& p : wanted) {
      auto m = std::find_if(marks.begin(), marks.end(), [&](const auto& x) { return x.partition == p.partition; });
      if (m == marks.end()) throw UsageError(topic.name + " has no partition " + std::to_string(p.partition));
      if (p.offset < m->low || p.offset >= m->high)
        throw UsageError(topic.name + "[" + std::to_string(p.partition) + "] has no offset " +
                         std::to_string(p.offset) + " (it holds " + std::to_string(m->low) + ".." +
                         std::to_string(m->high - 1) + ")");
    }
    std::map<int, std::pair<long long, long long>> span;  // partition → [min, max]
    for (const auto& p : wanted) {
      auto [it, fresh] = span.try_emplace(p.partition, p.offset, p.offset);
      if (!fresh) it->second = {std::min(it->second.first, p.offset), std::max(it->second.second, p.offset)};
    }
    for (const auto& [partition, s] : span) ranges.push_back({topic.name, partition, s.first, s.second + 1});
  }
  std::vector<Record> out;
  read_ranges(ctx.brokers, ranges, ReadOptions{false, &ctx.stop, ctx.timeout}, [&](Record&& r, bool) {
    if (wanted.empty() || wanted.count({r.partition, r.offset})) out.push_back(std::move(r));
    return true;
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  if (ctx.stop) throw std::runtime_error("interrupted");
  if (limit && positions.empty()) {
    sort_by_time(out);
    keep_newest(out, *limit);
  }
  return out;
}

void write_dead_letter_json(JsonWriter& w, const DeadLetter& d) {
  w.Key("deadLetter");
  w.StartObject();
  w.Key("errorClass");
  write_string(w, d.error_class);
  w.Key("errorMessage");
  write_string(w, d.error_message);
  w.Key("originalTopic");
  write_string(w, d.original_topic);
  w.Key("originalPartition");
  if (d.original_partition)
    w.Int(*d.original_partition);
  else
    w.Null();
  w.Key("originalOffset");
  if (d.original_offset)
    w.Int64(*d.original_offset);
  else
    w.Null();
  w.Key("consumerGroup");
  write_string(w, d.consumer_group);
  w.Key("failedAt");
  write_string(w, d.failed_at);
  w.EndObject();
}

std::string original_position(const DeadLetter& d) {
  return d.original_topic + "[" + (d.original_partition ? std::to_string(*d.original_partition) : "?") + "]@" +
         (d.original_offset ? std::to_string(*d.original_offset) : "?");
}

}  // namespace

int run_dlq_list(Context& ctx, const DlqListOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  struct Row {
    std::string dlq;
    long long messages = 0;
    std::optional<Record> newest;
  };
  std::vector<Row> rows;
  std::vector<ReadRange> last_messages;
  for (const auto& t : kafka.list_topics()) {
    if (!is_dlq_topic(t.name)) continue;
    Row row{t.name, 0, std::nullopt};
    for (const auto& m : kafka.watermarks(t)) {
      row.messages += m.high - m.low;
      if (m.high > m.low) last_messages.push_back({t.name, m.partition, m.high - 1, m.high});
    }
    rows.push_back(std::move(row));
  }
  std::map<std::string, Record> newest;
  read_ranges(ctx.brokers, last_messages, ReadOptions{false, &ctx.stop, ctx.timeout}, [&](Record&& r, bool) {
    auto key = [](const Record& x) { return dead_letter_of(x.headers).failed_at; };
    auto it = newest.find(r.topic);
    if (it == newest.end() || key(r) > key(it->second)) newest[r.topic] = std::move(r);
    return true;
  });
  if (ctx.stop) throw std::runtime_error("interrupted");
  if (!o.json)
    ctx.out << ctx.style.bold(fmt("%-52s %8s  %-24s  %s", "DLQ", "MESSAGES", "NEWEST FAILURE", "LAST ERROR")) << '\n';
  for (auto& row : rows) {
    const auto it = newest.find(row.dlq);
    const std::optional<DeadLetter> last =
        it == newest.end() ? std::nullopt : std::optional<DeadLetter>(dead_letter_of(it->second.headers));
    const auto name = parse_dlq_name(row.dlq);
    if (o.json) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      w.Key("dlq");
      write_string(w, row.dlq);
      w.Key("topic");
      if (name)
        write_string(w, name->topic);
      else
        w.Null();
      w.Key("group");
      if (name)
        write_string(w, name->group);
      else
        w.Null();
      w.Key("messages");
      w.Int64(row.messages);
      w.Key("newestFailure");
      if (last)
        write_string(w, last->failed_at);
      else
        w.Null();
      w.Key("lastErrorClass");
      if (last)
        write_string(w, last->error_class);
      else
        w.Null();
      w.Key("lastErrorMessage");
      if (last)
        write_string(w, last->error_message);
      else
        w.Null();
      w.EndObject();
      ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
      continue;
    }
    const std::string count = fmt("%8lld", row.messages);
    ctx.out << fmt("%-52s ", row.dlq.c_str()) << (row.messages > 0 ? ctx.style.bad(count) : ctx.style.dim(count))
            << "  " << fmt("%-24s", last ? last->failed_at.c_str() : "-") << "  "
            << (last ? one_line(last->error_class + ": " + last->error_message, 100) : "-") << '\n';
  }
  return 0;
}

int run_dlq_show(Context& ctx, const DlqShowOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  const TopicInfo topic = kafka.require_topic(o.dlq);
  const auto records =
      read_positions(ctx, kafka, topic, o.offsets, o.offsets.empty() ? std::optional(o.limit) : std::nullopt);
  for (const auto& r : records) {
    const Inspection i = inspect(r.value);
    const DeadLetter d = dead_letter_of(r.headers);
    if (o.json) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      write_record_members(w, r, i);
      write_dead_letter_json(w, d);
      w.EndObject();
      ctx.out << std::string(buf.GetString(), buf.GetSize()) << '\n';
      continue;
    }
    ctx.out << ctx.style.bold(position(r)) << "  failed " << (d.failed_at.empty() ? "?" : d.failed_at)
            << "  group=" << (d.consumer_group.empty() ? "?" : d.consumer_group)
            << "  class=" << ctx.style.bad(d.error_class.empty() ? "?" : d.error_class) << '\n';
    ctx.out << "    original  " << original_position(d) << '\n';
    ctx.out << "    error     " << one_line(d.error_message, 2000) << '\n';
    const std::string event = render_text(r, i, ctx.style);
    std::size_t start = 0;
    while (start < event.size()) {  // the event (and its data) indented under the dead letter
      const auto end = event.find('\n', start);
      ctx.out << "    " << event.substr(start, end - start) << '\n';
      start = end == std::string::npos ? event.size() : end + 1;
    }
  }
  if (!o.json && records.empty()) ctx.out << topic.name << " is empty\n";
  return 0;
}

int run_dlq_redrive(Context& ctx, const DlqRedriveOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  const TopicInfo topic = kafka.require_topic(o.dlq);
  const auto records = read_positions(ctx, kafka, topic, o.all ? std::vector<Position>{} : o.offsets, std::nullopt);
  std::vector<Outgoing> outgoing;
  std::vector<const Record*> sources;
  std::map<std::string, bool> topic_exists;
  int skipped = 0;
  for (const auto& r : records) {
    const DeadLetter d = dead_letter_of(r.headers);
    const Inspection i = inspect(r.value);
    auto skip = [&](const std::string& why) {
      ++skipped;
      ctx.err << "meshctl: skipped " << position(r) << ": " << why << '\n';
    };
    if (d.original_topic.empty()) {
      skip("no dlq-original-topic header: not a dead letter of the consumer runner");
      continue;
    }
    if (!topic_exists.count(d.original_topic)) {
      bool exists = false;
      for (const auto& t : kafka.list_topics()) exists = exists || t.name == d.original_topic;
      topic_exists[d.original_topic] = exists;
    }
    if (!topic_exists[d.original_topic]) {
      skip("its original topic " + d.original_topic + " does not exist");
      continue;
    }
    if (!i.valid() && !o.force) {
      // Sent back as it is, it would be dead-lettered again by every group on the topic.
      skip("still " + std::string(verdict_name(i.verdict)) + " under this build's contracts (" +
           one_line(i.errors.empty() ? "" : i.errors.front(), 200) +
           "); fix the producer or the contract, or add --force");
      continue;
    }
    outgoing.push_back({d.original_topic, r.key, r.value, redrive_headers(r)});
    sources.push_back(&r);
  }
  auto describe = [&](const Record& r) {
    const Inspection i = inspect(r.value);
    const std::string type = event_type(r, i);
    return (type.empty() ? std::string("?") : type) + (i.envelope ? "  id=" + i.envelope->id : "") +
           "  key=" + (r.key ? *r.key : "null");
  };
  if (o.dry_run) {
    for (std::size_t k = 0; k < outgoing.size(); ++k)
      ctx.out << "would send " << position(*sources[k]) << " -> " << outgoing[k].topic << "  " << describe(*sources[k])
              << '\n';
    ctx.out << "dry run: " << outgoing.size() << " message(s) would be redriven, " << skipped << " skipped\n";
    return skipped > 0 ? 1 : 0;
  }
  const auto sent = publish(ctx.brokers, outgoing, std::chrono::milliseconds(30'000));
  int failed = 0;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    if (!sent[k].ok) {
      ++failed;
      ctx.err << "meshctl: " << position(*sources[k]) << " not sent: " << sent[k].error << '\n';
      continue;
    }
    ctx.out << "sent " << position(*sources[k]) << " -> " << outgoing[k].topic << "[" << sent[k].partition << "]@"
            << sent[k].offset << "  " << describe(*sources[k]) << '\n';
  }
  ctx.out << "redriven " << (sent.size() - static_cast<std::size_t>(failed)) << " message(s)";
  if (skipped + failed > 0) ctx.out << ", " << skipped << " skipped, " << failed << " failed";
  ctx.out << " (header redriven-from=" << topic.name << "/<partition>/<offset>)\n";
  return skipped + failed > 0 ? 1 : 0;
}

}  // namespace shopmesh::meshctl
