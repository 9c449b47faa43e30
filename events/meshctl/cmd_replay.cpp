// meshctl replay: re-deliver a time window of a topic, either by moving a stopped consumer group's
// committed offsets back to the window's start (--to-group) or by re-publishing the window's
// messages to another topic with a replay-of header (--to-topic).
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "kafka.hpp"
#include "text.hpp"

namespace shopmesh::meshctl {
namespace {

std::string member_list(const GroupInfo& g) {
  std::string out;
  for (const auto& m : g.members) {
    const std::string host = m.host.empty() || m.host[0] != '/' ? m.host : m.host.substr(1);  // "/127.0.0.1"
    out += (out.empty() ? "" : ", ") + m.client_id + (host.empty() ? "" : " on " + host);
  }
  return out;
}

int replay_to_group(Context& ctx, Kafka& kafka, const TopicInfo& topic, const ReplayOptions& o) {
  const std::string& group = *o.to_group;
  const auto described = kafka.describe_groups({group});
  const GroupInfo info = described.empty() ? GroupInfo{group, "Dead", {}, ""} : described.front();
  if (!info.error.empty()) throw std::runtime_error("describe group '" + group + "': " + info.error);
  const bool live = info.live();
  const std::string live_message = "group '" + group + "' is live (" + info.state + ", " +
                                   std::to_string(info.members.size()) +
                                   (info.members.size() == 1 ? " member: " : " members: ") + member_list(info) +
                                   "): stop its consumers first, then replay (its offsets cannot move under them)";
  if (live && !o.dry_run) throw Refused(live_message);

  const auto marks = kafka.watermarks(topic);
  const auto by_time = kafka.offsets_for_time(topic, o.since);
  Committed committed_all = kafka.committed(group, topic);
  std::map<int, long long> committed;
  for (const auto& [tp, offset] : committed_all) committed[tp.second] = offset;
  const auto rows = plan_reset(marks, by_time, committed);
  const bool existing = std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.committed.has_value(); });

  long long total = 0;
  ctx.out << (o.dry_run ? "dry run: " : "") << "replay " << topic.name << " since " << format_time(o.since)
          << " into group " << group << " (";
  if (info.state == "Dead" && !existing)
    ctx.out << "a new group";
  else
    ctx.out << info.state << ", " << info.members.size() << (info.members.size() == 1 ? " member" : " members");
  ctx.out << ")\n";
  ctx.out << ctx.style.bold(fmt("  %-10s %12s    %12s %14s", "PARTITION", "COMMITTED", "NEW OFFSET", "TO REPROCESS"))
          << '\n';
  std::map<int, long long> targets;
  for (const auto& r : rows) {
    total += r.to_process();
    targets[r.partition] = r.target;
    ctx.out << fmt("  %-10d %12s -> %12lld %14lld", r.partition,
                   r.committed ? std::to_string(*r.committed).c_str() : "-", r.target, r.to_process())
            << '\n';
  }
  ctx.out << "  " << total << " message(s) from " << topic.name << " will be delivered to " << group << " again\n";
  if (existing)
    ctx.out << ctx.style.dim(
                   "  note: consumers skip events already in their inbox for this group; replay into a "
                   "fresh group (or delete its inbox rows) to apply them again")
            << '\n';
  if (o.dry_run) {
    if (live) ctx.err << "meshctl: warning: " << live_message << '\n';
    ctx.out << "dry run: no offsets changed (run again without --dry-run to apply)\n";
    return 0;
  }
  const auto results = kafka.alter_committed(group, topic.name, targets);
  int failed = 0;
  for (const auto& r : results) {
    if (r.error.empty()) continue;
    ++failed;
    ctx.err << "meshctl: partition " << r.partition << ": " << r.error << '\n';
  }
  if (failed > 0 || results.empty()) {
    ctx.err << "meshctl: group '" << group << "' refused the new offsets (is a consumer running?)\n";
    return 1;
  }
  ctx.out << "done: group " << group << " resumes " << topic.name
          << " at the new offsets the next time its consumers start\n";
  return 0;
}

int replay_to_topic(Context& ctx, Kafka& kafka, const TopicInfo& topic, const ReplayOptions& o) {
  const std::string& target = *o.to_topic;
  if (target == topic.name && !o.force)
    throw Refused("refusing to replay " + topic.name +
                  " into itself: every consumer would get the window twice "
                  "(add --force if that is what you want)");
  const TopicInfo target_info = kafka.require_topic(target);
  const auto marks = kafka.watermarks(topic);
  const auto since = kafka.offsets_for_time(topic, o.since);
  std::optional<std::map<int, long long>> until;
  if (o.until) until = kafka.offsets_for_time(topic, *o.until);
  const auto window = plan_window(marks, since, until);

  std::vector<ReadRange> ranges;
  for (const auto& w : window) ranges.push_back({topic.name, w.partition, w.start, w.end});
  std::vector<Outgoing> outgoing;
  std::vector<Record> sources;
  std::map<std::string, long long> types;
  long long invalid = 0;
  const std::string replayed_at = format_time(now_ms());
  read_ranges(ctx.brokers, ranges, ReadOptions{false, &ctx.stop, ctx.timeout}, [&](Record&& r, bool) {
    const Inspection i = inspect(r.value);
    if (!o.filter.matches(r, i)) return true;
    if (o.until && r.timestamp_ms && *r.timestamp_ms >= o.until->time_since_epoch().count()) return true;
    const std::string type = event_type(r, i);
    ++types[type.empty() ? "(no type)" : type];
    if (!i.valid()) ++invalid;
    if (o.verbose) ctx.out << (o.dry_run ? "would send " : "") << render_text(r, i, ctx.style);
    outgoing.push_back({target_info.name, r.key, r.value, replay_headers(r, replayed_at)});
    sources.push_back(std::move(r));
    return true;
  });
  if (ctx.stop) throw std::runtime_error("interrupted: nothing was published");

  ctx.out << (o.dry_run ? "dry run: " : "") << "replay " << topic.name << " from " << format_time(o.since) << " to "
          << (o.until ? format_time(*o.until) : std::string("the end")) << " into topic " << target_info.name << '\n';
  for (const auto& w : window)
    ctx.out << fmt("  %s[%d] offsets %lld..%lld", topic.name.c_str(), w.partition, w.start, w.end) << '\n';
  std::string type_text;
  for (const auto& [t, n] : types) type_text += (type_text.empty() ? "" : ", ") + t + " x" + std::to_string(n);
  ctx.out << "  " << outgoing.size() << " event(s)" << (type_text.empty() ? "" : ": " + type_text)
          << (o.filter.empty() ? "" : " (after filters)") << '\n';
  if (invalid > 0)
    ctx.out << ctx.style.warn("  " + std::to_string(invalid) +
                              " of them break their contract; they are replayed as they are")
            << '\n';
  if (o.dry_run) {
    ctx.out << "dry run: nothing published (run again without --dry-run to publish)\n";
    return 0;
  }
  const auto sent = publish(ctx.brokers, outgoing, std::chrono::milliseconds(30'000));
  long long ok = 0;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    if (sent[k].ok) {
      ++ok;
      continue;
    }
    ctx.err << "meshctl: " << position(sources[k]) << " not replayed: " << sent[k].error << '\n';
  }
  ctx.out << "done: published " << ok << " of " << sent.size() << " event(s) to " << target_info.name
          << " with header replay-of=<topic>/<partition>/<offset>\n";
  return ok == static_cast<long long>(sent.size()) ? 0 : 1;
}

}  // namespace

int run_replay(Context& ctx, const ReplayOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  const TopicInfo topic = kafka.require_topic(o.topic);
  return o.to_group ? replay_to_group(ctx, kafka, topic, o) : replay_to_topic(ctx, kafka, topic, o);
}

}  // namespace shopmesh::meshctl
