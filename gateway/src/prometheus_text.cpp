#include "shopmesh/gateway/prometheus_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace shopmesh::gateway::prom {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

std::optional<double> parse_number(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text.empty()) return std::nullopt;
  const std::string copy(text);  // strtod needs a terminator; from_chars for double is missing in older libstdc++
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

// Parses `name{labels} value [timestamp]`; false when the line is malformed.
bool parse_line(std::string_view line, Sample& out) {
  std::size_t i = 0;
  while (i < line.size() && name_char(line[i], i == 0)) ++i;
  if (i == 0) return false;
  out.name.assign(line.substr(0, i));
  out.labels.clear();
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const std::size_t start = i;
      while (i < line.size() && name_char(line[i], i == start)) ++i;
      if (i == start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return false;
      std::string key(line.substr(start, i - start)), value;
      i += 2;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < line.size()) {
          const char e = line[i++];
          value.push_back(e == 'n' ? '\n' : e);
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return false;
      out.labels.emplace_back(std::move(key), std::move(value));
    }
  }
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::size_t end = i;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  const auto value = parse_number(line.substr(i, end - i));
  if (!value) return false;
  out.value = *value;
  std::sort(out.labels.begin(), out.labels.end());
  return true;
}

// A series' identity: name and labels, with `skip` (a label) left out.
std::string series_key(const Sample& s, std::string_view skip = {}) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) {
    if (k == skip) continue;
    key += '\x1f';
    key += k;
    key += '=';
    key += v;
  }
  return key;
}

}  // namespace

const std::string* Sample::label(std::string_view name) const {
  for (const auto& [k, v] : labels)
    if (k == name) return &v;
  return nullptr;
}

Scrape parse(std::string_view text) {
  Scrape scrape;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    Sample s;
    if (parse_line(line, s))
      scrape.samples.push_back(std::move(s));
    else
      ++scrape.bad_lines;
  }
  return scrape;
}

bool matches(const Sample& s, const Match& match) {
  for (const auto& [k, v] : match) {
    const auto* value = s.label(k);
    if (!v.empty() && v.front() == '!') {
      if (value != nullptr && *value == std::string_view(v).substr(1)) return false;
      continue;
    }
    if (value == nullptr) return false;
    if (!v.empty() && v.back() == '*') {
      if (std::string_view(*value).substr(0, v.size() - 1) != std::string_view(v).substr(0, v.size() - 1))
        return false;
    } else if (*value != v) {
      return false;
    }
  }
  return true;
}

std::optional<double> sum(const Scrape& s, std::string_view name, const Match& match) {
  std::optional<double> total;
  for (const auto& sample : s.samples)
    if (sample.name == name && matches(sample, match)) total = total.value_or(0) + sample.value;
  return total;
}

std::optional<double> max(const Scrape& s, std::string_view name, const Match& match) {
  std::optional<double> best;
  for (const auto& sample : s.samples)
    if (sample.name == name && matches(sample, match)) best = std::max(best.value_or(sample.value), sample.value);
  return best;
}

std::optional<double> increase(const Scrape& before, const Scrape& after, std::string_view name, const Match& match) {
  std::map<std::string, double> previous;
  for (const auto& s : before.samples)
    if (s.name == name && matches(s, match)) previous[series_key(s)] = s.value;
  std::optional<double> total;
  for (const auto& s : after.samples) {
    if (s.name != name || !matches(s, match)) continue;
    const auto it = previous.find(series_key(s));
    const double was = it == previous.end() ? 0 : it->second;
    total = total.value_or(0) + (s.value >= was ? s.value - was : s.value);
  }
  return total;
}

std::optional<Buckets> bucket_increase(const Scrape& before, const Scrape& after, std::string_view base,
                                       const Match& match) {
  const std::string name = std::string(base) + "_bucket";
  std::map<std::string, double> previous;
  for (const auto& s : before.samples)
    if (s.name == name && matches(s, match)) previous[series_key(s)] = s.value;
  std::map<double, double> by_bound;
  bool any = false;
  for (const auto& s : after.samples) {
    if (s.name != name || !matches(s, match)) continue;
    const auto* le = s.label("le");
    if (le == nullptr) continue;
    const auto bound = parse_number(*le);
    if (!bound) continue;
    any = true;
    const auto it = previous.find(series_key(s));
    const double was = it == previous.end() ? 0 : it->second;
    by_bound[*bound] += s.value >= was ? s.value - was : s.value;
  }
  if (!any) return std::nullopt;
  return Buckets(by_bound.begin(), by_bound.end());
}

void add_buckets(Buckets& into, const Buckets& more) {
  std::map<double, double> by_bound(into.begin(), into.end());
  for (const auto& [bound, count] : more) by_bound[bound] += count;
  into.assign(by_bound.begin(), by_bound.end());
}

std::optional<double> quantile(double q, const Buckets& buckets) {
  if (buckets.empty() || !std::isinf(buckets.back().first)) return std::nullopt;
  const double total = buckets.back().second;
  if (!(total > 0)) return std::nullopt;
  const double rank = q * total;
  double lower_bound = 0, lower_count = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const auto [bound, count] = buckets[i];
    if (count >= rank) {
      if (std::isinf(bound)) return i == 0 ? std::nullopt : std::optional<double>(buckets[i - 1].first);
      if (count == lower_count) return bound;
      return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count);
    }
    lower_bound = bound;
    lower_count = count;
  }
  return std::nullopt;
}

}  // namespace shopmesh::gateway::prom
