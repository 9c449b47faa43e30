#pragma once
// Runs blocking work (libpqxx, Argon2, outbound HTTP) on a bounded thread pool and resumes the
// awaiting coroutine on its own executor, so I/O threads never block.
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shopmesh::core {

/// co_await offload(pool, f): runs f() on `pool`, returns its result (or rethrows its exception).
template <class Pool, class F>
boost::asio::awaitable<std::invoke_result_t<F>> offload(Pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  using Slot = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
  auto slot = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(std::exception_ptr, Slot)>(
      [&pool, f = std::move(f)](auto handler) mutable {
        boost::asio::post(pool, [f = std::move(f), handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          Slot result{};
          try {
            if constexpr (std::is_void_v<R>) {
              f();
              result = true;
            } else {
              result.emplace(f());
            }
          } catch (...) {
            error = std::current_exception();
          }
          auto ex = boost::asio::get_associated_executor(handler);
          boost::asio::dispatch(ex, [handler = std::move(handler), error, result = std::move(result)]() mutable {
            std::move(handler)(error, std::move(result));
          });
        });
      },
      boost::asio::use_awaitable);
  if constexpr (!std::is_void_v<R>) co_return std::move(*slot);
}

}  // namespace shopmesh::core
