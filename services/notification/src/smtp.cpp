#include "shopmesh/notification/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

namespace shopmesh::notification {
namespace {

struct Upload {
  const std::string& data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

// Credentials in the URL must not end up in logs or in the stored last error.
std::string redact(std::string text, const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return text;
  const std::string secret = url.substr(scheme + 3, at - scheme - 3);
  for (auto p = text.find(secret); !secret.empty() && p != std::string::npos; p = text.find(secret))
    text.replace(p, secret.size(), "***");
  return text;
}

}  // namespace

SmtpClient::SmtpClient(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout), curl_(curl_easy_init()) {}

SmtpClient::~SmtpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

SmtpResult SmtpClient::send(const std::string& from, const std::string& to, const std::string& message) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return {false, false, "libcurl could not be initialised"};
  curl_easy_reset(curl);  // keeps the live connection, forgets the previous message's options
  Upload upload{message};
  const std::string mail_from = "<" + from + ">";
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(timeout_.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  if (rc == CURLE_OK) return {true, false, {}};
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  std::string what = *error ? error : curl_easy_strerror(rc);
  if (code > 0) what += " (SMTP " + std::to_string(code) + ")";
  return {false, code >= 500 && code < 600, redact(what, url_)};
}

}  // namespace shopmesh::notification
