#include "shopmesh/gateway/stages/dialect.hpp"

#include <exception>

#include "shopmesh/core/clock.hpp"
#include "shopmesh/core/errors.hpp"
#include "shopmesh/core/http.hpp"
#include "shopmesh/gateway/dialects.hpp"
#include "shopmesh/gateway/routes.hpp"

namespace shopmesh::gateway {

Answer DialectStage::request(Request& req, Exchange& ex) {
  if (ex.rewrite == nullptr || ex.refusal) return std::nullopt;
  const Rewrite& rule = *ex.rewrite;
  if (!rule.to_method.empty()) req.method_string(rule.to_method);
  if (rule.transform == nullptr || rule.transform->request == nullptr) return std::nullopt;
  DialectRequest in{ex.method, ex.query, std::move(req.body())};
  try {
    rule.transform->request(in);
  } catch (const core::DomainError& e) {
    if (ex.route != nullptr) ex.route_id = ex.route->index;  // counted on its route, as later answers are
    return problem(static_cast<http::status>(core::status_of(e.fault())), e.what(), ex, e.errors());
  }
  ex.query = std::move(in.query);
  if (!in.body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(in.body);
  return std::nullopt;
}

void DialectStage::response(Response& res, Exchange& ex) {
  const Transform* transform = ex.rewrite ? ex.rewrite->transform : nullptr;
  const Dialect* dialect = ex.dialect;
  const int status = res.result_int();
  const bool ok = status >= 200 && status < 300;
  // A HEAD answer keeps the headers of the GET answer it stands for; 1xx and 3xx pass as they are.
  if (ex.head || (!ok && status < 400)) return;
  // Where only a prefix is claimed (no transform), the dialect shapes the errors alone.
  const bool transforms = transform != nullptr && ok && transform->answer != nullptr && !res.body().empty();
  const bool wraps = dialect != nullptr && dialect->envelope != nullptr && (transform != nullptr || !ok);
  if (!transforms && !wraps) return;
  const std::string timestamp = core::now_rfc3339();
  const DialectContext ctx{ex.method, ex.client_path.empty() ? ex.path : ex.client_path, ex.user_id, timestamp};
  DialectAnswer answer{status, res.body()};
  try {
    if (transforms) transform->answer(answer, ctx);
    if (wraps) dialect->envelope(answer, ctx);
  } catch (const std::exception&) {
    return;  // an answer the dialect cannot read goes out as Shopmesh wrote it
  }
  if (answer.status != status) {
    res.result(static_cast<http::status>(answer.status));
    res.reason({});  // the upstream's reason phrase went with its status
  }
  res.body() = std::move(answer.body);
  res.set(http::field::content_type, "application/json");
}

}  // namespace shopmesh::gateway
