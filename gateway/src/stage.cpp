#include "shopmesh/gateway/stage.hpp"

#include <exception>
#include <utility>

#include "shopmesh/core/http.hpp"
#include "shopmesh/core/uuid.hpp"

namespace shopmesh::gateway {

Answer Stage::request(Request&, Exchange&) {
  return std::nullopt;
}

bool Stage::waits(const Exchange&) const {
  return false;
}

boost::asio::awaitable<Answer> Stage::request_async(Request& req, Exchange& ex) {
  co_return request(req, ex);
}

void Stage::response(Response&, Exchange&) {}

bool Stage::reads_answer(const Exchange&) const {
  return false;
}

Chain::Chain(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

boost::asio::awaitable<Response> Chain::run(Request& req, Exchange& ex, std::string* failure) const {
  Answer answer;
  std::size_t at = 0;  // the stage that answered (or threw); stages_.size() when none did
  try {
    for (; at < stages_.size(); ++at) {
      Stage& stage = *stages_[at];
      if (stage.waits(ex)) {
        answer = co_await stage.request_async(req, ex);
      } else {
        answer = stage.request(req, ex);
        if (!answer && std::exchange(ex.defer, false)) answer = co_await stage.request_async(req, ex);
      }
      if (answer) break;
    }
    if (!answer) answer = problem(http::status::not_found, "No such route.", ex);
  } catch (const std::exception& e) {
    if (failure) *failure = e.what();
    answer = problem(http::status::internal_server_error, "The gateway failed to handle this request.", ex);
    ex.close = true;
  }
  Response res = std::move(*answer);
  const std::size_t reached = at < stages_.size() ? at + 1 : stages_.size();
  if (!ex.answer.head.empty())
    for (std::size_t i = 0; i < reached; ++i)
      if (stages_[i]->reads_answer(ex)) {
        read_answer_fields(res, ex);
        break;
      }
  for (std::size_t i = reached; i-- > 0;) stages_[i]->response(res, ex);
  co_return res;
}

}  // namespace shopmesh::gateway
