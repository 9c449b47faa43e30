#include "shopmesh/notification/email.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace shopmesh::notification {
namespace {

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string base64(std::string_view in) {
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool plausible_address(std::string_view a) {
  const auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size() || a.find('@', at + 1) != std::string_view::npos)
    return false;
  return std::none_of(a.begin(), a.end(), [](char c) {
    return c == ' ' || c == '<' || c == '>' || c == '\r' || c == '\n' || c == '\t' || c == ',' || c == '"';
  });
}

// Body lines end in CRLF; a body that is not ASCII travels base64-encoded in 76-column lines.
std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

}  // namespace

std::optional<Mailbox> parse_mailbox(std::string_view text) {
  const auto open = text.rfind('<');
  if (open == std::string_view::npos) {
    std::string address = trim(text);
    if (!plausible_address(address)) return std::nullopt;
    return Mailbox{"", address};
  }
  const auto close = text.find('>', open);
  if (close == std::string_view::npos || trim(text.substr(close + 1)) != "") return std::nullopt;
  std::string address = trim(text.substr(open + 1, close - open - 1));
  if (!plausible_address(address)) return std::nullopt;
  std::string name = trim(text.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (name.find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return Mailbox{name, address};
}

std::string header_text(std::string_view text) {
  std::string flat(text);
  std::replace_if(
      flat.begin(), flat.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  if (ascii(flat)) return flat;
  // Encoded words are at most 75 characters: split the text into chunks of whole UTF-8 characters.
  std::string out;
  std::size_t i = 0;
  while (i < flat.size()) {
    std::size_t end = std::min(flat.size(), i + 45);
    while (end < flat.size() && (static_cast<unsigned char>(flat[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(flat).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string format_mailbox(const Mailbox& m) {
  if (m.display_name.empty()) return "<" + m.address + ">";
  std::string name = header_text(m.display_name);
  if (ascii(m.display_name)) {
    std::string quoted;
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    name = "\"" + quoted + "\"";
  }
  return name + " <" + m.address + ">";
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string build_message(const MailMessage& m) {
  std::string out;
  out += "Date: " + m.date + "\r\n";
  out += "From: " + format_mailbox(m.from) + "\r\n";
  out += "To: " + format_mailbox(m.to) + "\r\n";
  out += "Message-ID: <" + header_text(m.message_id) + ">\r\n";
  out += "Subject: " + header_text(m.subject) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  if (ascii(m.body)) {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    out += crlf(m.body);
  } else {
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    const std::string encoded = base64(crlf(m.body));
    for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  }
  return out;
}

}  // namespace shopmesh::notification
