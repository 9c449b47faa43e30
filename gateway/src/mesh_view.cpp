#include "shopmesh/gateway/mesh_view.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

namespace shopmesh::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using prom::Match;
using prom::Scrape;

const prom::Scrape kEmpty;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void str(Writer& w, std::string_view v) { w.String(v.data(), static_cast<rapidjson::SizeType>(v.size())); }
void number(Writer& w, std::string_view k, std::optional<double> v) {
  key(w, k);
  if (v && std::isfinite(*v))
    w.Double(std::round(*v * 1e6) / 1e6);  // a micro-unit is plenty and keeps the text short
  else
    w.Null();
}
void text(Writer& w, std::string_view k, const std::optional<std::string>& v) {
  key(w, k);
  if (v)
    str(w, *v);
  else
    w.Null();
}

// The two scrapes of one component (the previous one may be missing or failed).
struct Pair {
  const Scrape& before;
  const Scrape& after;
};

// Figures over a set of components, each compared with its own previous scrape.
class Interval {
 public:
  Interval(std::vector<Pair> pairs, std::optional<double> seconds) : pairs_(std::move(pairs)), seconds_(seconds) {}

  std::optional<double> rate(std::string_view counter, const Match& m = {}) const {
    if (!seconds_ || *seconds_ <= 0) return std::nullopt;
    std::optional<double> total;
    for (const auto& p : pairs_)
      if (auto inc = prom::increase(p.before, p.after, counter, m)) total = total.value_or(0) + *inc;
    if (!total) return std::nullopt;
    return *total / *seconds_;
  }
  // errors / all of a counter over the interval; null when nothing was counted.
  std::optional<double> ratio(std::string_view counter, const Match& all, const std::vector<Match>& errors) const {
    const auto total = rate(counter, all);
    if (!total || *total <= 0) return std::nullopt;
    double bad = 0;
    for (const auto& m : errors) bad += rate(counter, m).value_or(0);
    return bad / *total;
  }
  std::optional<double> p99(std::string_view histogram, const Match& m = {}) const {
    if (!seconds_) return std::nullopt;
    std::optional<prom::Buckets> all;
    for (const auto& p : pairs_)
      if (auto b = prom::bucket_increase(p.before, p.after, histogram, m)) {
        if (!all) all.emplace();
        prom::add_buckets(*all, *b);
      }
    if (!all) return std::nullopt;
    return prom::quantile(0.99, *all);
  }
  std::optional<double> sum(std::string_view gauge, const Match& m = {}) const {
    std::optional<double> total;
    for (const auto& p : pairs_)
      if (auto v = prom::sum(p.after, gauge, m)) total = total.value_or(0) + *v;
    return total;
  }
  std::optional<double> max(std::string_view gauge, const Match& m = {}) const {
    std::optional<double> best;
    for (const auto& p : pairs_)
      if (auto v = prom::max(p.after, gauge, m)) best = std::max(best.value_or(*v), *v);
    return best;
  }

 private:
  std::vector<Pair> pairs_;
  std::optional<double> seconds_;
};

Match with(Match m, std::string k, std::string v) {
  m.emplace_back(std::move(k), std::move(v));
  return m;
}

// Events applied per second by a group (and topic): events_consumed_total has a series per event
// type, made on the first event, so a consumer that has applied none yet serves 0/s; its
// per-topic retry counter, made at start, tells that it runs.
std::optional<double> applied_rate(const Interval& iv, const Match& m) {
  auto applied = iv.rate("events_consumed_total", with(m, "outcome", "applied"));
  if (!applied && iv.rate("consumer_retries_total", m)) applied = 0;
  return applied;
}

// Request figures of a counter + histogram pair: rate, error ratio and p99 (the three an edge shows).
void traffic(Writer& w, const Interval& iv, std::string_view counter, std::string_view histogram, const Match& m,
             std::string_view status_label, const std::vector<std::string>& error_values) {
  // A component that exports the counter but counted nothing matching in the interval served 0/s.
  auto requests = iv.rate(counter, m);
  if (!requests && iv.rate(counter)) requests = 0;
  number(w, "requestsPerSecond", requests);
  std::vector<Match> errors;
  for (const auto& v : error_values) errors.push_back(with(m, std::string(status_label), v));
  number(w, "errorRatio", iv.ratio(counter, m, errors));
  number(w, "p99Seconds", iv.p99(histogram, m));
}

std::string header(const events::NewestMessage& m, std::string_view name) {
  for (const auto& [k, v] : m.headers)
    if (k == name) return v;
  return {};
}

}  // namespace

std::string mesh_json(const MeshTopology& topology, const MeshScrape* before, const MeshScrape& after) {
  std::optional<double> seconds;
  if (before) seconds = std::chrono::duration<double>(after.at - before->at).count();

  // Each instance paired with its own previous scrape (a failed one counts as absent).
  std::map<std::pair<std::string, std::string>, const InstanceScrape*> previous;
  if (before)
    for (const auto& s : before->instances)
      if (s.ok) previous[{s.service, s.instance}] = &s;
  auto pair_of = [&](const InstanceScrape& s) -> Pair {
    const auto it = previous.find({s.service, s.instance});
    return {it == previous.end() ? kEmpty : it->second->metrics, s.ok ? s.metrics : kEmpty};
  };
  std::vector<Pair> every;
  for (const auto& s : after.instances) every.push_back(pair_of(s));
  const Interval all(every, seconds);
  const Interval gw({{before ? before->gateway : kEmpty, after.gateway}}, seconds);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "at");
  str(w, rfc3339(after.at));
  number(w, "intervalSeconds", seconds);

  key(w, "gateway");
  w.StartObject();
  Match public_routes;
  for (const auto r : kAdminRouteLabels) public_routes.emplace_back("route", "!" + std::string(r));
  traffic(w, gw, "gateway_requests_total", "gateway_request_duration_seconds", public_routes, "status", {"5*"});
  w.EndObject();

  std::map<std::string, std::vector<std::string>> publishes;  // service -> topics
  for (const auto& [topic, services] : topology.catalogue.producers)
    for (const auto& s : services) publishes[s].push_back(topic);

  key(w, "services");
  w.StartArray();
  for (const auto& service : topology.services) {
    std::vector<Pair> mine;
    for (const auto& s : after.instances)
      if (s.service == service.name) mine.push_back(pair_of(s));
    const Interval iv(mine, seconds);
    w.StartObject();
    key(w, "name");
    str(w, service.name);
    key(w, "upstream");  // the gateway's view of the edge to this service
    w.StartObject();
    traffic(w, gw, "gateway_upstream_requests_total", "gateway_upstream_request_duration_seconds",
            {{"service", service.name}}, "code", {"5xx", "error"});
    w.EndObject();

    key(w, "instances");
    w.StartArray();
    for (const auto& instance : service.instances) {
      const InstanceScrape* scrape = nullptr;
      for (const auto& s : after.instances)
        if (s.service == service.name && s.instance == instance) scrape = &s;
      w.StartObject();
      key(w, "instance");
      str(w, instance);
      key(w, "up");
      const Match this_instance{{"service", service.name}, {"instance", instance}};
      if (auto up = prom::max(after.gateway, "gateway_upstream_up", this_instance))
        w.Bool(*up >= 1);
      else
        w.Null();
      key(w, "scraped");
      w.Bool(scrape != nullptr && scrape->ok);
      text(w, "scrapeError", scrape != nullptr && !scrape->ok ? std::optional<std::string>(scrape->error)
                                                                : std::nullopt);
      key(w, "served");  // what the instance itself answered (its probes left out)
      w.StartObject();
      const Interval one(scrape ? std::vector<Pair>{pair_of(*scrape)} : std::vector<Pair>{}, seconds);
      traffic(w, one, "http_requests_total", "http_request_duration_seconds",
              {{"route", "!/metrics"}, {"route", "!/health"}}, "status", {"5*"});
      w.EndObject();
      key(w, "relayActive");
      if (auto active = scrape ? prom::max(pair_of(*scrape).after, "outbox_relay_active") : std::nullopt)
        w.Bool(*active >= 1);
      else
        w.Null();
      w.EndObject();
    }
    w.EndArray();

    const auto topics = publishes.find(service.name);
    const bool has_relay = iv.max("outbox_relay_active").has_value();
    key(w, "outbox");
    if (topics == publishes.end() && !has_relay) {
      w.Null();
    } else {
      w.StartObject();
      number(w, "backlogBytes", iv.max("outbox_backlog_bytes"));  // every instance reads the same slot
      number(w, "oldestUnpublishedSeconds", iv.max("outbox_oldest_unpublished_seconds"));
      number(w, "pending", iv.sum("outbox_pending"));
      std::optional<std::string> active;
      for (const auto& s : after.instances)
        if (s.service == service.name && s.ok && prom::max(s.metrics, "outbox_relay_active").value_or(0) >= 1)
          active = s.instance;
      text(w, "activeInstance", active);
      number(w, "publishedPerSecond", iv.rate("outbox_published_total"));
      number(w, "publishP99Seconds", iv.p99("outbox_commit_to_ack_seconds"));
      w.EndObject();
    }

    key(w, "publishes");
    w.StartArray();
    if (topics != publishes.end()) {
      // Per topic from the `topic` label; a service whose outbox feeds one topic only publishes
      // all it counts there, so its unlabelled total is that topic's rate.
      const bool labelled = iv.max("outbox_published_total", {{"topic", "*"}}).has_value();
      for (const auto& topic : topics->second) {
        w.StartObject();
        key(w, "topic");
        str(w, topic);
        std::optional<double> rate;
        if (labelled)
          rate = iv.rate("outbox_published_total", {{"topic", topic}});
        else if (topics->second.size() == 1)
          rate = iv.rate("outbox_published_total");
        number(w, "perSecond", rate);
        w.EndObject();
      }
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  key(w, "topics");
  w.StartArray();
  for (const auto& t : topology.catalogue.topics) {
    w.StartObject();
    key(w, "name");
    str(w, t.name);
    key(w, "partitions");
    w.Int(t.partitions);
    key(w, "producers");
    w.StartArray();
    if (auto p = topology.catalogue.producers.find(t.name); p != topology.catalogue.producers.end())
      for (const auto& s : p->second) str(w, s);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  std::set<std::string> services;
  for (const auto& s : topology.services) services.insert(s.name);
  key(w, "groups");
  w.StartArray();
  for (const auto& g : topology.catalogue.consumers) {
    const Match group{{"group", g.group}};
    w.StartObject();
    key(w, "group");
    str(w, g.group);
    text(w, "service", services.count(g.group) ? std::optional<std::string>(g.group) : std::nullopt);
    number(w, "appliedPerSecond", applied_rate(all, group));
    number(w, "lagMessages", all.sum("consumer_lag_messages", group));
    number(w, "lagSeconds", all.max("consumer_lag_seconds", group));
    key(w, "topics");
    w.StartArray();
    for (const auto& topic : g.topics) {
      const Match gt = with(group, "topic", topic);
      w.StartObject();
      key(w, "topic");
      str(w, topic);
      number(w, "lagMessages", all.sum("consumer_lag_messages", gt));
      number(w, "lagSeconds", all.max("consumer_lag_seconds", gt));
      number(w, "appliedPerSecond", applied_rate(all, gt));
      number(w, "retriesPerSecond", all.rate("consumer_retries_total", gt));
      number(w, "deadLettersPerSecond", all.rate("consumer_dead_letters_total", gt));

      const std::string dlq = events::dlq_topic(topic, g.group);
      key(w, "dlq");
      w.StartObject();
      key(w, "topic");
      str(w, dlq);
      const DlqScrape* d = nullptr;
      for (const auto& s : after.dlqs)
        if (s.topic == dlq) d = &s;
      key(w, "messages");
      if (d && d->ok)
        w.Int64(d->ends.messages);
      else
        w.Null();
      text(w, "readError", d && !d->ok ? std::optional<std::string>(d->error) : std::nullopt);
      key(w, "newest");
      if (d && d->ok && d->ends.newest) {
        const auto& m = *d->ends.newest;
        w.StartObject();
        // The consumer's own stamp (dlq-failed-at) when present, else the broker's timestamp.
        auto failed_at = header(m, "dlq-failed-at");
        if (failed_at.empty() && m.timestamp_ms >= 0)
          failed_at = rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(m.timestamp_ms)));
        text(w, "at", failed_at.empty() ? std::nullopt : std::optional<std::string>(failed_at));
        number(w, "ageSeconds",
               m.timestamp_ms >= 0
                   ? std::optional<double>(std::chrono::duration<double>(
                                               after.at - std::chrono::system_clock::time_point(
                                                              std::chrono::milliseconds(m.timestamp_ms)))
                                               .count())
                   : std::nullopt);
        text(w, "errorClass", header(m, "dlq-error-class"));
        auto message = header(m, "dlq-error-message");
        if (message.size() > 500) {  // cut on a UTF-8 character boundary
          std::size_t cut = 500;
          while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
          message = message.substr(0, cut) + "…";
        }
        text(w, "errorMessage", message);
        text(w, "eventType", header(m, "event-type"));
        key(w, "partition");
        w.Int(m.partition);
        key(w, "offset");
        w.Int64(m.offset);
        w.EndObject();
      } else {
        w.Null();
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  key(w, "kafka");
  w.StartObject();
  std::optional<std::string> kafka_error;
  std::size_t read = 0;
  for (const auto& d : after.dlqs) {
    if (d.ok)
      ++read;
    else if (!kafka_error)
      kafka_error = d.error;
  }
  key(w, "reachable");
  w.Bool(read > 0 || after.dlqs.empty());
  text(w, "error", kafka_error);
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace shopmesh::gateway
