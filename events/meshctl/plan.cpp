#include "plan.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

#include <rapidjson/document.h>

#include "time_format.hpp"

namespace shopmesh::meshctl {

std::map<int, long long> last_n_starts(const std::vector<PartitionRange>& partitions, long long n) {
  std::map<int, long long> out;
  for (const auto& p : partitions) out[p.partition] = std::max(p.low, p.high - std::max(0LL, n));
  return out;
}

void sort_by_time(std::vector<Record>& records) {
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return std::tie(a.timestamp_ms, a.topic, a.partition, a.offset) <
           std::tie(b.timestamp_ms, b.topic, b.partition, b.offset);
  });
}

void keep_newest(std::vector<Record>& sorted, std::size_t n) {
  if (sorted.size() > n) sorted.erase(sorted.begin(), sorted.end() - static_cast<std::ptrdiff_t>(n));
}

std::vector<ResetRow> plan_reset(const std::vector<PartitionRange>& partitions, const std::map<int, long long>& by_time,
                                 const std::map<int, long long>& committed) {
  std::vector<ResetRow> rows;
  for (const auto& p : partitions) {
    ResetRow row;
    row.partition = p.partition;
    row.high = p.high;
    auto t = by_time.find(p.partition);
    row.target = (t == by_time.end() || t->second < 0) ? p.high : std::clamp(t->second, p.low, p.high);
    if (auto c = committed.find(p.partition); c != committed.end() && c->second >= 0) row.committed = c->second;
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return rows;
}

std::vector<WindowRange> plan_window(const std::vector<PartitionRange>& partitions,
                                     const std::map<int, long long>& since,
                                     const std::optional<std::map<int, long long>>& until) {
  auto offset_or_end = [](const std::map<int, long long>& m, const PartitionRange& p) {
    auto it = m.find(p.partition);
    return (it == m.end() || it->second < 0) ? p.high : std::clamp(it->second, p.low, p.high);
  };
  std::vector<WindowRange> out;
  for (const auto& p : partitions) {
    WindowRange w{p.partition, offset_or_end(since, p), until ? offset_or_end(*until, p) : p.high};
    if (w.end < w.start) w.end = w.start;
    out.push_back(w);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return out;
}

std::optional<long long> lag(long long high, long long committed) {
  if (committed < 0) return std::nullopt;
  return std::max(0LL, high - committed);
}

std::optional<Position> parse_position(std::string_view text) {
  auto parse = [](std::string_view s, auto& v) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && end == s.data() + s.size() && v >= 0;
  };
  Position p;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return parse(text, p.offset) ? std::optional(p) : std::nullopt;
  if (!parse(text.substr(0, colon), p.partition) || !parse(text.substr(colon + 1), p.offset)) return std::nullopt;
  return p;
}

bool Filter::matches(const Record& r, const Inspection& i) const {
  if (invalid_only && i.valid()) return false;
  if (!types.empty() && std::find(types.begin(), types.end(), event_type(r, i)) == types.end()) return false;
  if (!keys.empty() && (!r.key || std::find(keys.begin(), keys.end(), *r.key) == keys.end())) return false;
  return true;
}

bool belongs_to_order(const Record& r, const Inspection& i, std::string_view order_id) {
  if (r.key && *r.key == order_id) return true;
  if (!i.envelope) return false;
  rapidjson::Document d;
  d.Parse(i.envelope->data.c_str(), i.envelope->data.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  auto it = d.FindMember("orderId");
  return it != d.MemberEnd() && it->value.IsString() &&
         std::string_view(it->value.GetString(), it->value.GetStringLength()) == order_id;
}

std::optional<long long> event_time_ms(const Record& r, const Inspection& i) {
  if (i.envelope)
    if (auto t = parse_rfc3339(i.envelope->occurred_at)) return t->time_since_epoch().count();
  return r.timestamp_ms;
}

}  // namespace shopmesh::meshctl
