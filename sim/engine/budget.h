// budget: what simulating a scenario will cost the simulator itself - its memory and wall time -
// estimated from the scenario before anything runs, and the limits a run is refused at.
//
// Models (upper-bound estimates, from the scenario's steps alone):
// - The program's peak demand: what its live sets, appends, goroutine stacks and
//   lifetime-forever streams hold at once (drops subtracted), plus what a `run` step's timed
//   streams keep alive (rate x mean lifetime) and, while a slice grows, its old array (growslice
//   copies from it into the new one). The simulated heap is at most that demand
//   grown by GOGC (1 + GOGC/100; no bound with GOGC=off), held near GOMEMLIMIT when the demand
//   is below it, and never above the simulated machine's memory or cgroup limit, where the
//   modelled kernel OOM-kills the program and the run ends.
// - The simulator keeps a few bytes per heap slot (the mheap's death ticks, spans, page
//   allocator bits: kSimBytesPerSlot, a slot being at least 16 B - the tiny allocator's block)
//   and one Sample per `sample_every` (kSimBytesPerSample), above a fixed base.
// - Its wall time: kSimNsPerObject per object allocated and kSimNsPerSample per sample.
// The constants are measured (bench/RESULTS.md, "Run budget"): memory on the high side (an
// upper bound), wall time on the fast side, so a run refused for time is one that could not
// have finished, not one that would have been slow.
// - What Go can map: on linux/amd64 the heap's address space is 2^48 B (Go 1.19-1.27 malloc.go
//   heapAddrBits = 48); a program that must hold more cannot run on any Go.
// Does not model: the heap profile's buckets, the trace rows' step labels, fragmentation beyond
// the GOGC factor (checked as an upper bound of heap_inuse on every shipped scenario).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "scenario/scenario.h"
#include "units/units.h"

namespace gomemsim {

struct RunEstimate {
  double simulatedSeconds = 0;  // the steps' durations (as-fast-as-possible phases count 0)
  double objects = 0;           // objects allocated over the whole run
  double demandBytes = 0;       // the most the program holds at once
  double heapBytes = 0;         // the simulated heap at its largest (the OOM kill caps it)
  double heapSlots = 0;         // slots of that heap
  double samples = 0;
  double simulatorBytes = 0;    // the simulator's own memory
  double wallSeconds = 0;       // the simulator's wall time
};

RunEstimate estimateRun(const Scenario& s);

struct RunLimits {
  double maxMemoryBytes = 0;   // the simulator's memory (--max-memory; the machine's available)
  double maxWallSeconds = 0;   // its wall time (--max-time)
  int jobs = 1;                // simulations at once (compare --jobs)
};

// Why a run of `s` is refused, naming the limit and the flag that moves it; nullopt if it may run.
std::optional<std::string> refusal(const Scenario& s, const RunEstimate& e, const RunLimits& limits);

// A run refused by its budget (the command exits 2 with the message, writing nothing).
class RunRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Throws RunRefused if refusal() has a reason.
void checkBudget(const Scenario& s, const RunLimits& limits);

inline constexpr double kGoHeapAddressSpace = 281474976710656.0;  // 2^48: malloc.go heapAddrBits
inline constexpr double kSimBaseBytes = 16.0 * 1024 * 1024;
inline constexpr double kSimBytesPerSlot = 6;
inline constexpr double kSimBytesPerSample = 800;
inline constexpr double kSimNsPerObject = 25;
inline constexpr double kSimNsPerSample = 5000;

// This machine's available memory (/proc/meminfo MemAvailable), or nullopt if unknown.
std::optional<double> availableMemoryBytes();

// "1.5 GiB", "300 TiB": for messages.
std::string humanBytes(double b);
// "3.2 s", "40 min", "12 h", "430 years": for messages.
std::string humanSeconds(double s);

}  // namespace gomemsim
