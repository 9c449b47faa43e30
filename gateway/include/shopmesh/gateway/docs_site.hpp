#pragma once
// /api/docs (Swagger UI from the swagger-ui-dist package) and /api/openapi.yaml. Only a fixed
// allow-list of file names is ever read from the dist folder, so a request path can never name
// another file; index.html and the initializer are generated here to point at our spec.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace shopmesh::gateway {

class DocsSite {
 public:
  enum class Status { ok, not_installed, not_found };
  struct Result {
    Status status = Status::not_found;
    std::string_view content_type;
    std::shared_ptr<const std::string> body;
  };

  /// `swagger_dir`: the swagger-ui-dist folder; `openapi_file`: the OpenAPI document.
  DocsSite(std::string swagger_dir, std::string openapi_file);

  /// A file under /api/docs/: `name` is what follows the slash ("" means index.html).
  Result docs_file(std::string_view name);
  /// The OpenAPI document, read from disk on every call (it is small and may be edited).
  Result openapi() const;

  const std::string& swagger_dir() const { return swagger_dir_; }
  const std::string& openapi_file() const { return openapi_file_; }

 private:
  std::string swagger_dir_;
  std::string openapi_file_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> loaded_;
};

}  // namespace shopmesh::gateway
