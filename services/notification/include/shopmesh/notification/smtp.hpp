#pragma once
// Sends one message over SMTP (or SMTPS) with libcurl. Blocking: the sender thread calls it
// outside any database transaction. One instance per thread; it keeps its connection alive.
#include <chrono>
#include <string>

namespace shopmesh::notification {

struct SmtpResult {
  bool ok = false;
  bool permanent = false;  // the server refused for good (5xx): retrying cannot help
  std::string error;
};

class SmtpClient {
 public:
  /// `url`: smtp://host:port or smtps://host:port, optionally with user:password@.
  SmtpClient(std::string url, std::chrono::milliseconds timeout);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  /// Delivers `message` (RFC 5322 text with CRLF line endings) from `from` to `to` (bare addresses).
  SmtpResult send(const std::string& from, const std::string& to, const std::string& message);

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
  void* curl_;  // CURL*
};

}  // namespace shopmesh::notification
