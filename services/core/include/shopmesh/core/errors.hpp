#pragma once
// The errors every layer may throw, in a header of their own, without HTTP: a DomainError says what
// is wrong with a request (its Fault), Unavailable that a dependency failed for now (database down,
// a dependency timing out). Thrown by domain code, stores, the PostgreSQL pool and the JSON
// helpers; the HTTP layer answers them (status_of), the consumer redelivers on Unavailable.
#include <stdexcept>
#include <string>
#include <vector>

namespace shopmesh::core {

/// One field-level validation problem.
struct FieldError {
  std::string field;
  std::string message;
};

/// What is wrong with a request, in the domain's terms. The HTTP layer answers each with its status
/// (core::status_of in http.hpp: 400, 415, 401, 403, 404, 409, 422).
enum class Fault {
  invalid,          // malformed or out of range: the fields say which
  unsupported,      // a body in a format this service does not read
  unauthenticated,  // no caller, or one whose identity is not valid
  forbidden,        // the caller may not do this
  not_found,        // the resource does not exist (or is not the caller's to see)
  conflict,         // it clashes with what exists (a taken SKU, a level that would go below zero)
  refused,          // well-formed, but the domain's rules refuse it (an unknown product, a reused key)
};

/// A request the domain refuses. Domain code, stores and routes throw it; the HTTP layer maps it to
/// an RFC 9457 problem+json answer.
class DomainError : public std::runtime_error {
 public:
  DomainError(Fault fault, std::string detail, std::vector<FieldError> errors = {});
  Fault fault() const { return fault_; }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  Fault fault_;
  std::vector<FieldError> errors_;
};

/// Shorthands, one per fault.
DomainError invalid(std::string detail, std::vector<FieldError> errors = {});
DomainError unsupported(std::string detail, std::vector<FieldError> errors = {});
DomainError unauthenticated(std::string detail = "Authentication is required.");
DomainError forbidden(std::string detail = "You are not allowed to do this.");
DomainError not_found(std::string detail = "The resource does not exist.");
DomainError conflict(std::string detail);
DomainError refused(std::string detail, std::vector<FieldError> errors = {});

/// A transient infrastructure failure (database down, dependency timeout): answered 503.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace shopmesh::core
