#include "shopmesh/gateway/docs_site.hpp"

#include <fstream>
#include <sstream>

namespace shopmesh::gateway {
namespace {

struct AllowedFile {
  std::string_view name;
  std::string_view content_type;
};

// The only names ever read from the dist folder.
constexpr AllowedFile kAllowed[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"index.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
    {"oauth2-redirect.html", "text/html; charset=utf-8"},
    {"oauth2-redirect.js", "text/javascript; charset=utf-8"},
    {"favicon-16x16.png", "image/png"},
    {"favicon-32x32.png", "image/png"},
};

constexpr std::string_view kIndexHtml = R"(<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Shopmesh API</title>
    <link rel="stylesheet" type="text/css" href="/api/docs/swagger-ui.css" />
    <link rel="stylesheet" type="text/css" href="/api/docs/index.css" />
    <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/api/docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/api/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/api/docs/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
)";

constexpr std::string_view kInitializer = R"(window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
)";

std::shared_ptr<const std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return nullptr;
  return std::make_shared<const std::string>(ss.str());
}

}  // namespace

DocsSite::DocsSite(std::string swagger_dir, std::string openapi_file)
    : swagger_dir_(std::move(swagger_dir)), openapi_file_(std::move(openapi_file)) {}

DocsSite::Result DocsSite::docs_file(std::string_view name) {
  Result r;
  const AllowedFile* file = nullptr;
  for (const auto& f : kAllowed)
    if (f.name == name) file = &f;
  const bool generated = name.empty() || name == "index.html" || name == "swagger-initializer.js";
  if (file == nullptr && !generated) return r;  // not_found

  std::lock_guard lock(mutex_);
  // Generated pages are only useful when the bundle they load is there.
  const std::string_view probe = generated ? std::string_view("swagger-ui-bundle.js") : file->name;
  auto it = loaded_.find(probe);
  if (it == loaded_.end()) {
    auto body = read_file(swagger_dir_ + "/" + std::string(probe));
    if (!body) {
      r.status = Status::not_installed;
      return r;
    }
    it = loaded_.emplace(std::string(probe), std::move(body)).first;
  }
  r.status = Status::ok;
  if (name.empty() || name == "index.html") {
    static const auto index = std::make_shared<const std::string>(kIndexHtml);
    r.content_type = "text/html; charset=utf-8";
    r.body = index;
  } else if (name == "swagger-initializer.js") {
    static const auto init = std::make_shared<const std::string>(kInitializer);
    r.content_type = "text/javascript; charset=utf-8";
    r.body = init;
  } else {
    r.content_type = file->content_type;
    r.body = it->second;
  }
  return r;
}

DocsSite::Result DocsSite::openapi() const {
  Result r;
  auto body = read_file(openapi_file_);
  if (!body) return r;
  r.status = Status::ok;
  r.content_type = "application/yaml; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace shopmesh::gateway
