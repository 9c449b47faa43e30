#include "render.hpp"

#include <cstdio>

#include <rapidjson/document.h>

#include "time_format.hpp"

namespace shopmesh::meshctl {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned min = 0;
  unsigned cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0)
    n = 2, min = 0x80, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0)
    n = 3, min = 0x800, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0)
    n = 4, min = 0x10000, cp = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// Re-serialises JSON text compactly (the stored value may be pretty-printed); text otherwise.
std::string compact_json(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError()) return std::string(text);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  d.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

std::string Style::paint(std::string_view code, std::string_view text) const {
  if (!color) return std::string(text);
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

std::string escape_preview(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  const std::string_view shown = bytes.substr(0, max_bytes);
  for (std::size_t i = 0; i < shown.size();) {
    const auto c = static_cast<unsigned char>(shown[i]);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c >= 0x20 && c < 0x7F)
      out += static_cast<char>(c);
    else if (std::size_t n = c >= 0x80 ? utf8_length(shown, i) : 0; n > 1) {
      out.append(shown.substr(i, n));
      i += n;
      continue;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
    ++i;
  }
  out = "\"" + out + "\"";
  if (bytes.size() > max_bytes) out += " …(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string position(const Record& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

std::string render_text(const Record& r, const Inspection& i, const Style& style, bool show_headers) {
  std::string line = r.timestamp_ms ? format_epoch_ms(*r.timestamp_ms) : std::string(24, '-');
  line += "  " + style.dim(position(r)) + "  ";
  const std::string key = r.key ? escape_preview(*r.key, 80) : "null";
  // Keys are plain ids in this system: print them bare so `grep key=<id>` works.
  const std::string key_text = r.key && key.size() == r.key->size() + 2 ? *r.key : key;
  if (i.envelope) {
    const auto& e = *i.envelope;
    line += style.bold(e.type) + " v" + std::to_string(e.version) + "  key=" + key_text + "  id=" + e.id +
            "  producer=" + e.producer + "  corr=" + e.correlation_id;
  } else {
    const std::string type = header(r.headers, "event-type").value_or("?");
    line += style.bold(type) + "  key=" + key_text;
  }
  line += "  " + (i.valid() ? style.ok("✓") : style.bad("✗ " + join(i.errors, "; ")));
  line += '\n';
  if (show_headers) {
    std::string h;
    for (const auto& [k, v] : r.headers) h += (h.empty() ? "" : "  ") + k + "=" + escape_preview(v, 200);
    line += "    " + style.dim("headers " + (h.empty() ? std::string("(none)") : h)) + '\n';
  }
  if (i.envelope)
    line += "    " + compact_json(i.envelope->data) + '\n';
  else
    line += "    raw " + escape_preview(r.value) + '\n';
  return line;
}

void write_string(JsonWriter& w, std::string_view s) {
  const std::string clean = sanitize_utf8(s);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

namespace {
void write_string_key(JsonWriter& w, std::string_view s) {
  const std::string clean = sanitize_utf8(s);
  w.Key(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}
}  // namespace

void write_record_members(JsonWriter& w, const Record& r, const Inspection& i) {
  w.Key("topic");
  write_string(w, r.topic);
  w.Key("partition");
  w.Int(r.partition);
  w.Key("offset");
  w.Int64(r.offset);
  w.Key("timestamp");
  if (r.timestamp_ms)
    write_string(w, format_epoch_ms(*r.timestamp_ms));
  else
    w.Null();
  w.Key("key");
  if (r.key)
    write_string(w, *r.key);
  else
    w.Null();
  w.Key("headers");
  w.StartObject();
  for (std::size_t n = 0; n < r.headers.size(); ++n) {
    const auto& [k, v] = r.headers[n];
    bool repeated_later = false;  // a JSON object keeps one value per name: the last, as consumers read it
    for (std::size_t m = n + 1; m < r.headers.size(); ++m) repeated_later = repeated_later || r.headers[m].first == k;
    if (repeated_later) continue;
    write_string_key(w, k);
    write_string(w, v);
  }
  w.EndObject();
  w.Key("valid");
  w.Bool(i.valid());
  w.Key("status");
  w.String(verdict_name(i.verdict));
  w.Key("errors");
  w.StartArray();
  for (const auto& e : i.errors) write_string(w, e);
  w.EndArray();
  if (i.envelope) {
    rapidjson::Document d;
    d.Parse(r.value.data(), r.value.size());
    w.Key("envelope");
    d.Accept(w);
  } else {
    w.Key("raw");
    write_string(w, r.value);
  }
}

std::string render_json(const Record& r, const Inspection& i) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_record_members(w, r, i);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + '\n';
}

}  // namespace shopmesh::meshctl
