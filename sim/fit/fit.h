// fit: a scenario from a real service's gctrace log (gctrace.h), so that every what-if runs on
// that service's own workload. `gomemsim fit LOG --out scenario.yaml` writes it, commented with
// where each figure came from, then simulates it and prints how closely it reproduces the log.
//
// What a gctrace line gives, and what the fit makes of it (Go 1.18+ mgcpacer.go heapGoal:
// goal = marked + (marked + stacks + globals) x GOGC/100; Go 1.11-1.17 without stacks/globals):
//   GOGC        (goal_i - marked_{i-1}) / (marked_{i-1} + stacks + globals) over automatic
//               cycles whose previous heap is at least 4 MB (the minimum heap sets the goal
//               below that): the ratio of the sums when the median agrees with it within 2 %
//               (whole MB make a small heap's ratio a few percent off), else the median;
//   GOMAXPROCS  the "P" field;
//   allocation  between the end of cycle i-1 and the end of cycle i the program allocated
//               heap1_i - marked_{i-1} (heapLive starts at the marked heap after each mark and
//               only allocation raises it);
//   live heap   marked_i: objects held across cycles (a named set grown and dropped to follow
//               it: grown by what an interval allocates beyond the short-lived objects, and
//               dropped where a mark shows less: before an automatic cycle's interval, at the
//               end of one that runtime.GC() ends) plus the short-lived objects still alive at
//               the mark, allocated during it or a lifetime before;
//   mark CPU    the assist, background and idle CPU of each steady cycle (one whose interval is
//               more than twice its mark) against what gomemsim's mark costs (runtime.h MarkCost,
//               Runtime::startCycle, the release's span layout) for its marked heap: first the
//               share of the objects that is pointerful and scanned (the median over cycles, 0
//               to 1, as if all were held), then what a wholly pointerful heap leaves over is
//               short-lived objects reached scattered over the heap (dearer per byte than a
//               held set reached in order);
//   lifetimes   short-lived objects die after an exponential lifetime: given (--lifetime), or
//               the median over steady cycles of (those short-lived bytes at the mark / the
//               interval's allocation rate) - the mark's length, or 10 ms when no cycle tells.
//               The heap after mark alone cannot tell a longer lifetime from a bigger held set;
//               the mark's cost can, as far as gomemsim's costs are the machine's;
//   runtime.GC  a "(forced)" cycle is a `gc` step at its time;
//   sysmon's GC a cycle after a "GC forced" line starts by the clock: the interval before it
//               allocates at the previous interval's pace, then idles until it, and a fall in
//               the marked heap is a drop at the end of that allocation.
//   sizes       a stated default (64 B to 1 KiB short-lived, 1 KiB held), unless the marks cost
//               under 90 % of what 1 KiB objects would per byte: then one size for every object,
//               the power of two from 2 KiB to 64 MiB whose mark costs nearest (big buffers).
//   GOMEMLIMIT  cycles whose goals sit at a common cap (within 10 % of the highest) that the GOGC
//               goal of the other cycles would pass by more than 5 %, three or more: the limit
//               that sets that goal (memoryLimitHeapGoal inverted, with a stated 5 % of non-heap
//               memory, rounded to 64 MiB within 3 %); with no uncapped cycle, only a cap
//               that held while the marked heap moved by a fifth, and GOGC is off;
//   the end     a log that ends with the kernel's OOM kill ("Killed process", on the same clock)
//               runs at its last pace until then, and a cgroup's "memory: usage ..., limit L"
//               line is machine.cgroup_limit.
// Not estimated (the scenario says so): goroutine stacks beyond what the stacks field counts,
// RSS and the scavenger (scavtrace is read, not fitted).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fit/gctrace.h"
#include "units/units.h"

namespace gomemsim {

struct FitOptions {
  std::string go;            // Go version to write; empty: by the log's format
  // The short-lived objects' mean lifetime; unset: estimated from the mark CPU (below), else
  // kDefaultLifetime.
  std::optional<Duration> lifetime;
  std::string source;        // the log's name, for the comments
  // Settings the input states (a runtime/metrics series: /gc/gogc:percent, /gc/gomemlimit:bytes):
  // taken as they are instead of estimated. gogc -1 = off.
  std::optional<int64_t> knownGogc;
  std::optional<int64_t> knownMemoryLimit;
  bool knownSettings = false;  // the input had those metrics (an absent limit is then no limit)
  std::string inputKind = "gctrace log";
};
inline constexpr Duration kDefaultLifetime = Milliseconds(10);

// One interval of the fitted program: from the end of one cycle to the end of the next.
struct FitInterval {
  double startS = 0, durationS = 0;
  double requestBytesPerS = 0;  // short-lived allocation
  double heldGrowBytesPerS = 0; // into the held set
  double dropFraction = 0;      // of the held set, let go at the interval's start
  bool dropAtEnd = false;       // or at its end (before the runtime.GC() that ends it)
  bool endsInGc = false;        // the cycle that ends it was runtime.GC()
  double idleTailS = 0;         // of durationS, the quiet before sysmon's GC that ends it
};

struct Fit {
  int64_t gogc = 100;
  bool gogcEstimated = false;
  std::optional<Bytes> memoryLimit;  // GOMEMLIMIT, where the goals show one
  Duration lifetime = kDefaultLifetime;
  bool lifetimeEstimated = false;
  double heldPointerShare = 0;  // of the objects' bytes, pointerful ones (from the mark CPU)
  std::vector<int64_t> shortSizes = {64, 256, 1024}, heldSizes = {1024};  // bytes, drawn by count
  bool sizesEstimated = false;
  int64_t gomaxprocs = 2;
  std::string go;
  std::vector<FitInterval> intervals;  // merged where the program did the same
  int cycles = 0, forcedCycles = 0;
  std::string yaml;  // the scenario file
};

class FitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws FitError when the log has no usable cycle.
Fit fitGcTrace(const GcTraceLog& log, const FitOptions& o);
// The file at `path` read and fitted: a gctrace log (readGcTrace), or a runtime/metrics series
// (metrics_series.h: a CSV whose header has time_s and /gc/ names), whose cycles are fitted the
// same way and whose GOGC and GOMEMLIMIT are taken as stated. The lines it skipped are in
// log.problems. Throws FitError naming the file when it cannot be read or has no usable cycle.
struct FittedLog {
  GcTraceLog log;
  Fit fit;
};
FittedLog fitGcTraceFile(const std::string& path, FitOptions o);

// How closely a simulated gctrace reproduces the real one: per-cycle means, side by side.
struct FitCheck {
  std::string metric;
  double real = 0, fitted = 0;
  double relErr() const { return real != 0 ? (fitted - real) / real : 0; }
};
std::vector<FitCheck> compareGcTraces(const GcTraceLog& real, const GcTraceLog& fitted);

}  // namespace gomemsim
