#include "shopmesh/core/http_wire.hpp"

#include <boost/beast/http/fields.hpp>

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
  append_version(out, head.version());
  const unsigned code = head.result_int();
  out += ' ';
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  const auto reason = head.reason();
  append(out, reason.empty() ? http::obsolete_reason(head.result()) : reason);
  out += "\r\n";
  append_fields(head, out);
}

}  // namespace shopmesh::core::wire
