// meshctl tail: read a topic from a chosen position up to the end offsets captured at start
// (or on, with --follow), decode and validate every event, and print the ones that match.
#include <algorithm>

#include "commands.hpp"
#include "kafka.hpp"

namespace shopmesh::meshctl {

int run_tail(Context& ctx, const TailOptions& o) {
  Kafka kafka(ctx.brokers, ctx.timeout);
  const TopicInfo topic = kafka.require_topic(o.topic);
  if (o.partition && (*o.partition < 0 || *o.partition >= topic.partitions))
    throw UsageError("--partition " + std::to_string(*o.partition) + ": " + o.topic + " has partitions 0.." +
                     std::to_string(topic.partitions - 1));
  std::vector<PartitionRange> marks;
  for (const auto& m : kafka.watermarks(topic))
    if (!o.partition || m.partition == *o.partition) marks.push_back(m);

  const long long newest_n = o.lines.value_or(20);
  std::map<int, long long> starts;
  switch (o.from) {
    case TailOptions::From::newest:
      // With a filter the newest N *matching* events may lie anywhere: read it all, keep N.
      if (o.filter.empty())
        starts = last_n_starts(marks, newest_n);
      else
        for (const auto& m : marks) starts[m.partition] = m.low;
      break;
    case TailOptions::From::beginning:
      for (const auto& m : marks) starts[m.partition] = m.low;
      break;
    case TailOptions::From::offset:
      for (const auto& m : marks) starts[m.partition] = std::clamp(o.offset, m.low, m.high);
      break;
    case TailOptions::From::since: {
      const auto by_time = kafka.offsets_for_time(topic, o.since);
      for (const auto& m : marks) {
        const auto t = by_time.count(m.partition) ? by_time.at(m.partition) : -1;
        starts[m.partition] = t < 0 ? m.high : std::clamp(t, m.low, m.high);
      }
      break;
    }
  }
  std::vector<ReadRange> ranges;
  for (const auto& m : marks) ranges.push_back({topic.name, m.partition, starts[m.partition], m.high});

  auto print = [&](const Record& r, const Inspection& i) {
    ctx.out << (o.json ? render_json(r, i) : render_text(r, i, ctx.style, o.headers));
  };
  std::vector<Record> initial;
  std::vector<Record> early_live;  // arrived past the ends before every partition caught up
  bool caught_up = false;
  auto flush_initial = [&] {
    sort_by_time(initial);
    if (o.from == TailOptions::From::newest)
      keep_newest(initial, static_cast<std::size_t>(newest_n));
    else if (o.lines && initial.size() > static_cast<std::size_t>(*o.lines))
      initial.resize(static_cast<std::size_t>(*o.lines));
    for (const auto& r : initial) print(r, inspect(r.value));
    for (const auto& r : early_live) print(r, inspect(r.value));
    initial.clear();
    early_live.clear();
    caught_up = true;
    ctx.out.flush();
  };
  ReadOptions read{o.follow, &ctx.stop, ctx.timeout};
  read_ranges(
      ctx.brokers, ranges, read,
      [&](Record&& r, bool live) {
        const Inspection i = inspect(r.value);
        if (!o.filter.matches(r, i)) return true;
        if (!live) {
          initial.push_back(std::move(r));
          // Bounded memory for "the newest N": trimming to the newest N seen so far never drops
          // one of the final newest N (each dropped one already has N newer ones).
          if (o.from == TailOptions::From::newest && initial.size() > static_cast<std::size_t>(newest_n) * 2 + 1024) {
            sort_by_time(initial);
            keep_newest(initial, static_cast<std::size_t>(newest_n));
          }
        } else if (!caught_up) {
          early_live.push_back(std::move(r));
        } else {
          print(r, i);
          ctx.out.flush();
        }
        return true;
      },
      flush_initial);
  if (!caught_up) flush_initial();  // stopped (Ctrl-C) before the ends: show what was read
  return 0;
}

}  // namespace shopmesh::meshctl
