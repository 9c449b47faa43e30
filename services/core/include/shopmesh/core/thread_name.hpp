#pragma once
// What a long-lived thread says of itself: its name, as `top -H`, `ps -L`, perf and gdb show it
// (Linux keeps 15 bytes; a longer name is cut), after its role; and, for a background thread,
// that it gives way to the threads serving requests.
#include <string_view>

namespace shopmesh::core {

void name_this_thread(std::string_view name);

/// For a background thread sharing a CPU with the threads that serve requests (a log flusher, an
/// event consumer, a health probe): SCHED_BATCH, so that waking it never preempts a serving thread
/// mid-request; it runs when that thread waits or its time slice ends. Its share of the CPU is what
/// it was. False where the system refuses (then nothing changed).
bool yield_on_wakeup();

}  // namespace shopmesh::core
