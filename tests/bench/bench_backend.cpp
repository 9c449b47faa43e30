// The in-memory backend of the gateway bench: answers GET /api/products/{id} from memory with a
// fixed body (BENCH_BODY_FILE: a real product's JSON, so every proxy carries the same bytes as on
// the PostgreSQL-backed route), on the same Beast server every Shopmesh service runs. What the
// bench then measures is the proxy in front of it, not the database behind it.
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shopmesh/core/service.hpp"

int main() {
  using namespace shopmesh;
  std::string body;
  return core::run_service({"bench-backend", 8099, {}, [&](core::ServiceContext& ctx) {
                              const std::string path = ctx.env.str("BENCH_BODY_FILE", "");
                              if (path.empty()) {
                                body = R"({"id":"00000000-0000-7000-8000-000000000000","name":"Bench mug"})";
                              } else {
                                std::ifstream in(path);
                                if (!in) throw std::runtime_error("cannot read BENCH_BODY_FILE " + path);
                                std::ostringstream text;
                                text << in.rdbuf();
                                body = text.str();
                              }
                              ctx.router.add(
                                  "GET", "/api/products/{id}",
                                  [&](core::Request&) { return core::Response::json(200, body); },
                                  core::Dispatch::inline_io);
                            }});
}
