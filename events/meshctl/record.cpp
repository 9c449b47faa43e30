#include "record.hpp"

#include <charconv>

#include <rapidjson/document.h>

#include "shopmesh/contracts/common.hpp"

namespace shopmesh::meshctl {

std::optional<std::string> header(const HeaderList& headers, std::string_view name) {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (it->first == name) return it->second;
  return std::nullopt;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::valid:
      return "valid";
    case Verdict::invalid:
      return "invalid";
    case Verdict::unknown_type:
      return "unknown-type";
    case Verdict::unknown_version:
      return "unknown-version";
    case Verdict::not_envelope:
      return "not-envelope";
  }
  return "unknown";
}

Inspection inspect(std::string_view value) {
  Inspection out;
  std::string error;
  auto envelope = events::decode(value, error);
  if (!envelope) {
    out.errors.push_back("not an envelope: " + error);
    return out;
  }
  rapidjson::Document data;
  data.Parse(envelope->data.c_str(), envelope->data.size());
  if (const auto* schema = contracts::find_schema(envelope->type, envelope->version)) {
    for (const auto& e : schema->validate(data)) out.errors.push_back(contracts::to_string(e));
    out.verdict = out.errors.empty() ? Verdict::valid : Verdict::invalid;
  } else {
    bool type_known = false;
    for (const auto& s : contracts::all_schemas()) type_known = type_known || s.type == envelope->type;
    if (type_known) {
      out.verdict = Verdict::unknown_version;
      out.errors.push_back(envelope->type + " has no contract for version " + std::to_string(envelope->version));
    } else {
      out.verdict = Verdict::unknown_type;
      out.errors.push_back("no contract for event type '" + envelope->type + "'");
    }
  }
  out.envelope = std::move(envelope);
  return out;
}

std::string event_type(const Record& r, const Inspection& i) {
  if (i.envelope) return i.envelope->type;
  return header(r.headers, "event-type").value_or("");
}

namespace {

template <class T>
std::optional<T> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  T v{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return v;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

DeadLetter dead_letter_of(const HeaderList& h) {
  DeadLetter d;
  d.error_class = header(h, "dlq-error-class").value_or("");
  d.error_message = header(h, "dlq-error-message").value_or("");
  d.original_topic = header(h, "dlq-original-topic").value_or("");
  d.original_partition = number<int>(header(h, "dlq-original-partition"));
  d.original_offset = number<long long>(header(h, "dlq-original-offset"));
  d.consumer_group = header(h, "dlq-consumer-group").value_or("");
  d.failed_at = header(h, "dlq-failed-at").value_or("");
  return d;
}

bool is_dlq_topic(std::string_view topic) {
  return topic.size() > 4 && topic.substr(topic.size() - 4) == ".dlq";
}

std::optional<DlqName> parse_dlq_name(std::string_view dlq) {
  if (!is_dlq_topic(dlq)) return std::nullopt;
  const std::string_view stem = dlq.substr(0, dlq.size() - 4);
  const auto dot = stem.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == stem.size()) return std::nullopt;
  return DlqName{std::string(stem.substr(0, dot)), std::string(stem.substr(dot + 1))};
}

HeaderList replay_headers(const Record& source, std::string_view replayed_at) {
  HeaderList out;
  for (const auto& h : source.headers)
    if (h.first != "replay-of" && h.first != "replayed-at") out.push_back(h);
  out.emplace_back("replay-of",
                   source.topic + "/" + std::to_string(source.partition) + "/" + std::to_string(source.offset));
  out.emplace_back("replayed-at", std::string(replayed_at));
  return out;
}

HeaderList redrive_headers(const Record& dead_letter) {
  HeaderList out;
  for (const auto& h : dead_letter.headers)
    if (!starts_with(h.first, "dlq-") && h.first != "redriven-from") out.push_back(h);
  out.emplace_back("redriven-from", dead_letter.topic + "/" + std::to_string(dead_letter.partition) + "/" +
                                        std::to_string(dead_letter.offset));
  return out;
}

}  // namespace shopmesh::meshctl
