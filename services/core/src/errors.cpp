#include "shopmesh/core/errors.hpp"

namespace shopmesh::core {

DomainError::DomainError(Fault fault, std::string detail, std::vector<FieldError> errors)
    : std::runtime_error(std::move(detail)), fault_(fault), errors_(std::move(errors)) {}

DomainError invalid(std::string detail, std::vector<FieldError> errors) {
  return {Fault::invalid, std::move(detail), std::move(errors)};
}
DomainError unsupported(std::string detail, std::vector<FieldError> errors) {
  return {Fault::unsupported, std::move(detail), std::move(errors)};
}
DomainError unauthenticated(std::string detail) { return {Fault::unauthenticated, std::move(detail)}; }
DomainError forbidden(std::string detail) { return {Fault::forbidden, std::move(detail)}; }
DomainError not_found(std::string detail) { return {Fault::not_found, std::move(detail)}; }
DomainError conflict(std::string detail) { return {Fault::conflict, std::move(detail)}; }
DomainError refused(std::string detail, std::vector<FieldError> errors) {
  return {Fault::refused, std::move(detail), std::move(errors)};
}

}  // namespace shopmesh::core
