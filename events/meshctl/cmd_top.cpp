// meshctl top: the gateway's mesh view in a terminal. It prints what the admin listener's page
// draws, from the same /mesh.json (contracts/mesh.schema.json), so the two agree by construction:
// the edges' rate, 5xx ratio and p99, outboxes, consumer groups' lag and applied/s, and each DLQ
// with its count and newest error. Figures nobody exports print as "—", as on the page.
#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "shopmesh/core/http_client.hpp"

namespace shopmesh::meshctl {
namespace {

constexpr std::string_view kDash = "—";

using Value = rapidjson::Value;

std::optional<double> num(const Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsNumber()) return std::nullopt;
  return v[key].GetDouble();
}
std::string str(const Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return {};
  return v[key].GetString();
}

std::string fixed(double v, int decimals) {
  char buf[400];  // the widest double in %f
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The page's formats (gateway/assets/mesh.html, `fmt`), one for one.
std::string rate(std::optional<double> v) {
  if (!v) return std::string(kDash);
  return (*v < 10 ? fixed(*v, 1) : fixed(std::round(*v), 0)) + "/s";
}
std::string ratio(std::optional<double> v) {
  if (!v) return std::string(kDash);
  return fixed(*v * 100, *v < 0.1 ? 1 : 0) + " %";
}
std::string secs(std::optional<double> v) {
  if (!v) return std::string(kDash);
  if (*v < 1) return fixed(*v * 1000, *v < 0.01 ? 1 : 0) + " ms";
  return fixed(*v, 1) + " s";
}
std::string count(std::optional<double> v) { return v ? fixed(std::round(*v), 0) : std::string(kDash); }
std::string bytes(std::optional<double> v) {
  if (!v) return std::string(kDash);
  if (*v < 1024) return fixed(*v, 0) + " B";
  if (*v < 1048576) return fixed(*v / 1024, 1) + " KiB";
  return fixed(*v / 1048576, 1) + " MiB";
}
std::string time_of(const std::string& rfc3339) {
  return rfc3339.size() >= 19 ? rfc3339.substr(11, 8) + " UTC" : std::string(kDash);
}

// Display width of UTF-8 text (the dash and the arrow are one column each).
std::size_t columns(std::string_view s) {
  std::size_t n = 0;
  for (const unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}
std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  for (std::size_t n = columns(s); n < width; ++n) out += ' ';
  return out;
}
std::string clip(std::string s, std::size_t max) {
  if (columns(s) <= max) return s;
  std::size_t cut = 0, n = 0;
  while (cut < s.size() && n < max - 1) {
    ++cut;
    while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
    ++n;
  }
  return s.substr(0, cut) + "…";
}

// Pads, then paints (escape codes take no columns).
std::string cell(const Style& style, std::string_view text, std::size_t width, std::string_view colour = {}) {
  const std::string padded = pad(text, width);
  return colour.empty() ? padded : style.paint(colour, padded);
}
std::string_view error_colour(std::optional<double> r) { return !r ? "" : *r > 0.01 ? "31" : "32"; }

void traffic_cells(std::string& out, const Style& style, const Value& t) {
  out += cell(style, rate(num(t, "requestsPerSecond")), 10);
  out += cell(style, ratio(num(t, "errorRatio")), 9, error_colour(num(t, "errorRatio")));
  out += cell(style, secs(num(t, "p99Seconds")), 10);
}

// Whether a mesh.json document has rates: its round is not the first since the gateway's rounds
// started (it scrapes only while watched, so a first look in a while starts them).
bool has_rates(std::string_view mesh_json) {
  rapidjson::Document doc;
  doc.Parse(mesh_json.data(), mesh_json.size());
  return !doc.HasParseError() && num(doc, "intervalSeconds").has_value();
}

// Sleeps until `until` or until the user stops meshctl.
void sleep_until(Context& ctx, std::chrono::steady_clock::time_point until) {
  while (!ctx.stop && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

std::string render_top(std::string_view mesh_json, const Style& style) {
  rapidjson::Document doc;
  doc.Parse(mesh_json.data(), mesh_json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("services") || !doc.HasMember("groups"))
    throw std::runtime_error("the gateway's /mesh.json is not a mesh view");
  std::string out;
  const auto interval = num(doc, "intervalSeconds");
  const auto& kafka = doc["kafka"];
  const bool reachable = kafka.IsObject() && kafka.HasMember("reachable") && kafka["reachable"].IsTrue();
  out += style.bold("Shopmesh mesh") + "  scraped " + time_of(str(doc, "at")) + " (" + str(doc, "at") +
         ")  interval " + (interval ? fixed(*interval, 1) + " s" : std::string(kDash)) + "  Kafka " +
         (reachable ? style.ok("reachable") : style.bad("unreachable: " + str(kafka, "error"))) + "\n\n";

  out += style.dim(pad("EDGE", 34) + pad("REQ/S", 10) + pad("5XX", 9) + pad("P99", 10) + "STATE") + "\n";
  out += pad("client → gateway", 34);
  traffic_cells(out, style, doc["gateway"]);
  out += "\n";
  for (const auto& s : doc["services"].GetArray()) {
    out += pad("gateway → " + str(s, "name"), 34);
    traffic_cells(out, style, s["upstream"]);
    out += "\n";
    for (const auto& i : s["instances"].GetArray()) {
      const bool scraped = i["scraped"].IsTrue();
      const bool down = i["up"].IsFalse() || !scraped;
      out += pad("  " + str(i, "instance"), 34);
      traffic_cells(out, style, i["served"]);
      std::string state = down ? style.bad(scraped ? "down" : "unreachable") : style.ok("up");
      if (i["relayActive"].IsTrue()) state += " relay";
      if (!scraped && !str(i, "scrapeError").empty()) state += " (" + clip(str(i, "scrapeError"), 40) + ")";
      out += state + "\n";
    }
  }

  out += "\n" + style.dim(pad("OUTBOX", 16) + pad("BACKLOG", 12) + pad("OLDEST", 10) + pad("PENDING", 9) +
                          pad("PUB/S", 9) + pad("PUB P99", 10) + pad("RELAY", 22) + "PUBLISHES") +
         "\n";
  for (const auto& s : doc["services"].GetArray()) {
    if (!s["outbox"].IsObject()) continue;
    const auto& o = s["outbox"];
    std::string publishes;
    for (const auto& p : s["publishes"].GetArray())
      publishes += (publishes.empty() ? "" : ", ") + str(p, "topic") + " " + rate(num(p, "perSecond"));
    const auto oldest = num(o, "oldestUnpublishedSeconds");
    out += pad(str(s, "name"), 16) + pad(bytes(num(o, "backlogBytes")), 12) +
           cell(style, secs(oldest), 10, oldest && *oldest > 10 ? "31" : "") + pad(count(num(o, "pending")), 9) +
           pad(rate(num(o, "publishedPerSecond")), 9) + pad(secs(num(o, "publishP99Seconds")), 10) +
           pad(str(o, "activeInstance").empty() ? std::string(kDash) : str(o, "activeInstance"), 22) + publishes +
           "\n";
  }

  out += "\n" + style.dim(pad("GROUP / TOPIC", 26) + pad("LAG MSGS", 10) + pad("LAG", 10) + pad("APPLIED", 10) +
                          pad("RETRIES", 10) + pad("DLQ", 6) + "NEWEST DEAD LETTER") +
         "\n";
  for (const auto& g : doc["groups"].GetArray()) {
    out += pad(str(g, "group"), 26) + pad(count(num(g, "lagMessages")), 10) + pad(secs(num(g, "lagSeconds")), 10) +
           pad(rate(num(g, "appliedPerSecond")), 10) + "\n";
    for (const auto& t : g["topics"].GetArray()) {
      const auto lag = num(t, "lagMessages");
      const auto& d = t["dlq"];
      const auto messages = num(d, "messages");
      std::string newest;
      if (d["newest"].IsObject()) {
        const auto& n = d["newest"];
        newest = time_of(str(n, "at")) + " " + str(n, "errorClass") + ": " + clip(str(n, "errorMessage"), 60);
      } else if (!str(d, "readError").empty()) {
        newest = "unreadable: " + clip(str(d, "readError"), 50);
      }
      out += pad("  " + str(t, "topic"), 26) + cell(style, count(lag), 10, lag && *lag > 0 ? "33" : "") +
             pad(secs(num(t, "lagSeconds")), 10) + pad(rate(num(t, "appliedPerSecond")), 10) +
             pad(rate(num(t, "retriesPerSecond")), 10) +
             cell(style, count(messages), 6, messages && *messages > 0 ? "31" : "") + newest + "\n";
    }
  }
  return out;
}

int run_top(Context& ctx, const TopOptions& o) {
  std::string base = o.admin_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  core::HttpCall call;
  call.url = base + "/mesh.json";
  call.timeout = ctx.timeout;
  if (auto token = ctx.env("METRICS_TOKEN"); token && !token->empty())
    call.headers.emplace_back("Authorization", "Bearer " + *token);
  const bool redraw = ctx.out_is_tty && !o.once && !o.json;
  // The gateway answers 503 while its first round since a pause is not done; a round later the view
  // has rates, which --once waits for. Neither takes more than a few seconds.
  const auto settled_by = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = core::http_call(call);
    const bool starting = r.status == 503 || (r.status == 200 && o.once && !has_rates(r.body));
    if (starting && started < settled_by) {
      sleep_until(ctx, started + std::chrono::seconds(1));
      if (ctx.stop) return 0;
      continue;
    }
    std::string text;
    if (r.status == 200) {
      text = o.json ? r.body + "\n" : render_top(r.body, ctx.style);
    } else {
      const std::string why = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
      if (o.once) {
        ctx.err << "meshctl: " << call.url << ": " << why
                << (r.status == 401 ? " (set METRICS_TOKEN to the gateway's token)" : "") << '\n';
        return 1;
      }
      text = "meshctl: " + call.url + ": " + why + " (retrying)\n";
    }
    if (redraw) ctx.out << "\x1b[H\x1b[2J";  // home, clear: the screen shows the latest round only
    ctx.out << text;
    if (!redraw && !o.once && !o.json) ctx.out << '\n';
    ctx.out.flush();
    if (o.once) return 0;
    sleep_until(ctx, started + o.interval);
    if (ctx.stop) return 0;
  }
}

}  // namespace shopmesh::meshctl
