#include "shopmesh/stock/parked.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "shopmesh/core/log.hpp"
#include "shopmesh/core/pg.hpp"
#include "shopmesh/core/thread_name.hpp"
#include "shopmesh/stock/store.hpp"

namespace shopmesh::stock {

struct ParkedOrderSweeper::Impl {
  static constexpr std::chrono::seconds kTick{1};
  static constexpr std::chrono::seconds kFullLook{30};

  core::PgPool& db;
  StockStore& store;
  core::Logger& log;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;

  void run() {
    core::name_this_thread("parked-orders");
    auto last_look = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, kTick, [this] { return stopping; })) {
      const auto now = std::chrono::steady_clock::now();
      if (!store.take_parked_hint() && now - last_look < kFullLook) continue;
      last_look = now;
      lock.unlock();
      sweep();
      lock.lock();
    }
  }

  void sweep() {
    try {
      ResumeResult r;
      do {  // a turn takes at most 500 orders
        r = db.transact([&](pqxx::work& tx) { return store.resume_parked(tx, std::nullopt); });
        if (r.expired > 0)
          log.warn("orders rejected after waiting STOCK_UNKNOWN_PRODUCT_WAIT_MS for a product",
                   {core::num("orders", static_cast<long long>(r.expired))});
      } while (r.decided > 0 && r.waiting + r.decided >= 500);
      if (r.waiting > 0) store.set_parked_hint();
    } catch (const std::exception& e) {
      store.set_parked_hint();  // look again next tick
      log.warn("parked orders: retry failed; will try again", {{"error", e.what()}});
    }
  }
};

ParkedOrderSweeper::ParkedOrderSweeper(core::PgPool& db, StockStore& store, core::Logger& log)
    : impl_(new Impl{db, store, log, {}, {}, {}, false}) {}

ParkedOrderSweeper::~ParkedOrderSweeper() { stop(); }

void ParkedOrderSweeper::start() {
  impl_->thread = std::thread([this] { impl_->run(); });
}

void ParkedOrderSweeper::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace shopmesh::stock
