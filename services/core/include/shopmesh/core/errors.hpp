#pragma once
// The errors every layer may throw, in a header of their own: a client error becomes an RFC 9457
// problem+json answer with its status; Unavailable (database down, a dependency timing out) a 503.
// Thrown by domain code, the PostgreSQL pool and the JSON helpers; mapped to answers by the HTTP
// layer, caught by the consumer (redelivered later).
#include <stdexcept>
#include <string>
#include <vector>

namespace shopmesh::core {

/// One field-level validation problem.
struct FieldError {
  std::string field;
  std::string message;
};

/// A client error: becomes an RFC 9457 problem+json response with this status.
class ClientError : public std::runtime_error {
 public:
  ClientError(int status, std::string title, std::string detail, std::vector<FieldError> errors = {});
  int status() const { return status_; }
  const std::string& title() const { return title_; }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  int status_;
  std::string title_;
  std::vector<FieldError> errors_;
};

/// Shorthands for the common client errors.
ClientError bad_request(std::string detail, std::vector<FieldError> errors = {});
ClientError not_found(std::string detail = "The resource does not exist.");
ClientError conflict(std::string detail);
ClientError unprocessable(std::string detail, std::vector<FieldError> errors = {});
ClientError unauthorized(std::string detail = "Authentication is required.");
ClientError forbidden(std::string detail = "You are not allowed to do this.");

/// A transient infrastructure failure (database down, dependency timeout): answered 503.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace shopmesh::core
