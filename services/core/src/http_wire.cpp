#include "shopmesh/core/http_wire.hpp"

#include <boost/beast/http/fields.hpp>
#include <charconv>

#include "shopmesh/core/http.hpp"

namespace shopmesh::core::wire {
namespace {

void append(std::string& out, boost::beast::string_view s) {
  out.append(s.data(), s.size());
}

void append_version(std::string& out, unsigned version) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

void append_status_line(std::string& out, unsigned version, unsigned code, boost::beast::string_view reason) {
  append_version(out, version);
  out += ' ';
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  append(out, reason.empty() ? http::obsolete_reason(static_cast<http::status>(code)) : reason);
  out += "\r\n";
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_fields(const http::fields& fields, std::string& out) {
  for (const auto& field : fields) {
    append(out, field.name_string());
    out += ": ";
    append(out, field.value());
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

void append_head(const http::request_header<>& head, std::string& out) {
  append(out, head.method_string());
  out += ' ';
  append(out, head.target());
  out += ' ';
  append_version(out, head.version());
  out += "\r\n";
  append_fields(head, out);
}

void append_head(const http::response_header<>& head, std::string& out) {
  append_status_line(out, head.version(), head.result_int(), head.reason());
  append_fields(head, out);
}

void append_answer_head(const AnswerHead& answer, const Headers& fields, std::string& out) {
  const auto code = static_cast<unsigned>(answer.status);
  append_status_line(out, 11, code, {});
  const auto unless_given = [&](std::string_view name, std::string_view value) {
    if (!fields.get(name)) append_field(out, name, value);
  };
  unless_given("Server", "shopmesh");
  unless_given("Date", answer.date);
  if (!answer.content_type.empty()) unless_given("Content-Type", answer.content_type);
  unless_given("X-Request-Id", answer.request_id);
  for (const auto [name, value] : fields) {
    const auto known = http::string_to_field({name.data(), name.size()});
    if (known == http::field::content_length || known == http::field::transfer_encoding ||
        known == http::field::connection)
      continue;  // the framing is the server's
    append_field(out, name, value);
  }
  if (!answer.keep_alive) append_field(out, "Connection", "close");
  if (code / 100 != 1 && code != 204 && code != 304) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, answer.body_size).ptr;
    append_field(out, "Content-Length", {digits, static_cast<std::size_t>(end - digits)});
  }
  out += "\r\n";
}

}  // namespace shopmesh::core::wire
