#include "shopmesh/core/errors.hpp"

namespace shopmesh::core {

ClientError::ClientError(int status, std::string title, std::string detail, std::vector<FieldError> errors)
    : std::runtime_error(std::move(detail)), status_(status), title_(std::move(title)), errors_(std::move(errors)) {}

ClientError bad_request(std::string detail, std::vector<FieldError> errors) {
  return {400, "Bad Request", std::move(detail), std::move(errors)};
}
ClientError not_found(std::string detail) {
  return {404, "Not Found", std::move(detail)};
}
ClientError conflict(std::string detail) {
  return {409, "Conflict", std::move(detail)};
}
ClientError unprocessable(std::string detail, std::vector<FieldError> errors) {
  return {422, "Unprocessable Content", std::move(detail), std::move(errors)};
}
ClientError unauthorized(std::string detail) {
  return {401, "Unauthorized", std::move(detail)};
}
ClientError forbidden(std::string detail) {
  return {403, "Forbidden", std::move(detail)};
}

}  // namespace shopmesh::core
