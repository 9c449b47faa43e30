#pragma once
// Reading the Prometheus text exposition format (what every component serves at /metrics) and the
// arithmetic the mesh view does on two scrapes of it: sums of matching series, counter increases
// over the interval (resets handled as Prometheus does) and quantiles from histogram bucket deltas.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopmesh::gateway::prom {

using Labels = std::vector<std::pair<std::string, std::string>>;  // sorted by name

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;

  /// The value of label `name`, or nullptr when the sample has none.
  const std::string* label(std::string_view name) const;
};

/// One component's exposition, parsed. Lines that are not samples (comments, blanks) are skipped;
/// a malformed sample line is counted in `bad_lines` and skipped.
struct Scrape {
  std::vector<Sample> samples;
  std::size_t bad_lines = 0;
};
Scrape parse(std::string_view text);

/// Which series count: a sample matches when each (name, value) pair is among its labels. A value
/// ending in '*' matches by prefix ("5*": any 5xx; "*": present); "!v" matches a label that is
/// absent or other than v.
using Match = std::vector<std::pair<std::string, std::string>>;
bool matches(const Sample& s, const Match& match);

/// The sum of the matching series of `name`, or nothing when none exists (the series is not
/// exported: rendered as a dash, never as 0).
std::optional<double> sum(const Scrape& s, std::string_view name, const Match& match = {});
/// The largest value among the matching series, or nothing when none exists.
std::optional<double> max(const Scrape& s, std::string_view name, const Match& match = {});

/// How much the matching series of counter `name` grew from `before` to `after`, summed. A series
/// whose value went down was reset (a restart): its whole value in `after` counts; a series new in
/// `after` counts from 0. Nothing when `after` has no matching series.
std::optional<double> increase(const Scrape& before, const Scrape& after, std::string_view name,
                               const Match& match = {});

/// Cumulative bucket counts by upper bound (the `le` label), ascending, +Inf last.
using Buckets = std::vector<std::pair<double, double>>;
/// The increase of histogram `base`'s buckets (`base_bucket`) over the interval, matching series
/// summed per bound. Nothing when `after` has no such histogram.
std::optional<Buckets> bucket_increase(const Scrape& before, const Scrape& after, std::string_view base,
                                       const Match& match = {});
/// Adds `more` into `into`, bound by bound (the histograms of several instances).
void add_buckets(Buckets& into, const Buckets& more);

/// The q-quantile (0 < q < 1) of cumulative buckets, interpolated linearly inside the bucket it
/// falls in, as PromQL's histogram_quantile does (the +Inf bucket answers its lower bound).
/// Nothing when the buckets counted no observation.
std::optional<double> quantile(double q, const Buckets& buckets);

}  // namespace shopmesh::gateway::prom
