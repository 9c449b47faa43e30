#pragma once
// How meshctl prints records: one readable line per event (greppable; colours only on a TTY),
// or one JSON object per line for tools (`--json`).
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "record.hpp"

namespace shopmesh::meshctl {

/// ANSI colours, or nothing when disabled.
struct Style {
  bool color = false;
  std::string paint(std::string_view code, std::string_view text) const;
  std::string ok(std::string_view t) const { return paint("32", t); }
  std::string bad(std::string_view t) const { return paint("31", t); }
  std::string warn(std::string_view t) const { return paint("33", t); }
  std::string dim(std::string_view t) const { return paint("2", t); }
  std::string bold(std::string_view t) const { return paint("1", t); }
};

/// Bytes as readable text: printable characters and valid UTF-8 as they are, the rest as \n, \t,
/// \xNN; cut after `max_bytes` with a note of the full size.
std::string escape_preview(std::string_view bytes, std::size_t max_bytes = 160);

/// `topic[partition]@offset`.
std::string position(const Record& r);

/// The event line and its data line(s), each ending in '\n':
///   2026-11-21T20:15:03.123Z  order.events[2]@17  ORDER_CREATED v1  key=…  id=…  producer=orders  corr=…  ✓
///       {"orderId":"…",…}
/// An invalid event ends in `✗ data.items[0].quantity: must be >= 1`; an undecodable one in
/// `✗ not an envelope: <reason>` with an escaped preview of the bytes. `show_headers` adds a line.
std::string render_text(const Record& r, const Inspection& i, const Style& style, bool show_headers = false);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes `s` as a JSON string; bytes that are not UTF-8 become U+FFFD.
void write_string(JsonWriter& w, std::string_view s);

/// Writes the members (no braces) topic, partition, offset, timestamp, key, headers, valid,
/// status, errors and envelope (the decoded value) or raw (the bytes as a string).
void write_record_members(JsonWriter& w, const Record& r, const Inspection& i);

/// `{topic, partition, offset, timestamp, key, headers, valid, status, errors, envelope|raw}` + '\n'.
std::string render_json(const Record& r, const Inspection& i);

}  // namespace shopmesh::meshctl
