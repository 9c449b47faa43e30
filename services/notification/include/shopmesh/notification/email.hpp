#pragma once
// E-mail as text (RFC 5322): mailboxes, safe header values, and the message the SMTP client sends.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shopmesh::notification {

/// "Display Name <local@domain>".
struct Mailbox {
  std::string display_name;
  std::string address;
  bool operator==(const Mailbox&) const = default;
};

/// Parses "Name <a@b>" or "a@b"; nullopt without a plausible address (one '@', no spaces,
/// no angle brackets or line breaks).
std::optional<Mailbox> parse_mailbox(std::string_view text);

/// A header value that cannot break out of its header: line breaks become spaces, and
/// non-ASCII text becomes an RFC 2047 encoded word (=?UTF-8?B?...?=).
std::string header_text(std::string_view text);

/// `"Display Name" <a@b>` (encoded as needed), or `<a@b>`.
std::string format_mailbox(const Mailbox& m);

/// RFC 5322 date: "Sat, 21 Nov 2026 20:15:03 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

struct MailMessage {
  Mailbox from;
  Mailbox to;
  std::string subject;
  std::string body;        // UTF-8 text, any line endings
  std::string message_id;  // without angle brackets, e.g. "<uuid>@shopmesh.local" minus the brackets
  std::string date;        // rfc5322_date
};

/// The full message with CRLF line endings: headers, blank line, body (7bit when ASCII, else base64).
std::string build_message(const MailMessage& m);

}  // namespace shopmesh::notification
