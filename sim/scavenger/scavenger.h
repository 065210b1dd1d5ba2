// scavenger: policies that decide when free heap pages go back to the OS.
//
// A policy only decides; the runtime carries the release out through the page allocator
// (which free pages qualify: ScavengeSelect in pagealloc/page_alloc.h) and the OS model.
// Policies are chosen by name or by the scenario's Go release (goversion.h: GoRelease::scavenger). The
// decision points every policy may use:
//   - paced():      after each GC's mark termination, with the new heap goal (gcPaceScavenger);
//   - sweepDone():  sweeping finished (Go 1.14-1.18 readyForScavenger, Go 1.19+ scavenger.ready):
//                   a readied worker runs when sysmon next looks, which the runtime says;
//   - eager():      at each span allocation, what to release synchronously (heap growth, memory
//                   limit, Go 1.12's reuse of released spans); eagerDone() reports the result;
//   - nextWake()/runBatch()/worked(): the background worker (or sysmon), woken at simulated times.
// Models, one file each, each citing its runtime source:
//   sysmon-5min      Go 1.11-1.12: sysmon every 2.5 min releases spans free for over 5 min
//                    (sysmon5min.cc);
//   background       Go 1.13-1.18, as Go 1.14-1.17 did it (background.cc);
//   background-1.19  Go 1.19-1.20: memory-limit goal, 1 % of GOMAXPROCS (background119.cc);
//   background-1.21  Go 1.21+: plus the density-aware, generational scavenge index (background121.cc);
//   none             never releases in the background; FreeOSMemory still does.
// What shipped with a Go release rather than with a policy follows the scenario's release row
// (goversion.h): the memory-limit goal bug (limit x 95 instead of x 0.95, golang/go#62449,
// GoRelease::scavengerLimitGoalBug) for every policy that has a memory-limit goal; Go 1.12's
// heap-growth scavenging (mheap.grow -> scavengeLargest, GoRelease::heapGrowthScavenging), which
// sysmon-5min does when its row says so.
// Parameters (ScavengerParams) let a scenario try policies the runtime never shipped; each
// policy honours the ones listed for it in the registry and rejects the others.
// The GC CPU limiter (Go 1.19+) stops the memory-limit part of eager scavenging: the runtime
// passes no memory limit to eager() while it is on (runtime.cc spanAllocated).
// The time a release takes is the kernel's (os madviseCost), reported to worked().
// Does not model: GOMAXPROCS changes while the worker sleeps, Go 1.13's glide-path pacing and
// treap.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "goversion/goversion.h"
#include "pagealloc/page_alloc.h"
#include "units/units.h"

namespace gomemsim {

// What a policy may read of the heap.
struct ScavengerView {
  Bytes heapRetained;   // heapInUse + heapFree (Go 1.19 heapRetained)
  Bytes heapFree;       // free, unreleased pages
  Bytes mappedReady;    // Sys - HeapReleased
  int64_t gomaxprocs = 1;
  SimTime now;
};

struct ScavengerPacing {
  Bytes heapGoal;
  Bytes lastHeapGoal;   // 0 before the first GC
  Bytes lastHeapInUse;  // heapInUse at the end of the last GC
  std::optional<Bytes> memoryLimit;
  Bytes heapRetained;
  Bytes mappedReady;
};

// A span the heap just took from the page allocator (mheap.allocSpan's scavenging point).
struct SpanAllocation {
  Bytes growth;          // bytes the heap grew to satisfy it
  Bytes scav;            // bytes of the span that had been released (fresh growth included)
  Bytes reusedReleased;  // of scav, bytes released after earlier use (not fresh growth)
  Bytes span;            // the span's size
};

// What the runtime should release now: at most `bytes` (whole runs with LargestRunFirst may
// exceed it) of the free pages `select` admits.
struct ScavengeRequest {
  Bytes bytes;
  ScavengeSelect select;
  // The Go 1.18+ background worker's batch (mgcscavenge.go scavengerState.run): release calls
  // of `quantum` each, until their kernel time reaches `minWork`, `bytes` are released, or a
  // call finds less than a quantum. Zero quantum: one release of up to `bytes`.
  Bytes quantum{0};
  Duration minWork{0};
};

// Knobs a scenario may set (runtime.scavenger_params); unset = the policy's own default.
struct ScavengerParams {
  std::optional<Duration> idleThreshold;  // idle_threshold: only release pages free for longer
  std::optional<Duration> period;         // period: how often sysmon looks
  std::optional<double> retainExtra;      // retain_extra: kept above the goal, 0.10 = 10 %
  std::optional<double> cpuFraction;      // cpu_fraction: CPU share of the worker, 0.01 = 1 %
  bool empty() const { return !idleThreshold && !period && !retainExtra && !cpuFraction; }
};

class ScavengerPolicy {
 public:
  virtual ~ScavengerPolicy() = default;
  virtual std::string name() const = 0;
  // True if the policy selects by how long pages have been free (the page allocator must
  // then track free times).
  virtual bool needsFreeTimes() const { return false; }
  virtual void paced(const ScavengerPacing& p) = 0;
  // Sweeping has finished and sysmon, which wakes a readied worker, has just looked (`now`):
  // the worker runs sysmonDelay later, 0 if the program is running, else when sysmon's sleep
  // until the program's next timer ends (Runtime::readyScavenger and advanceTo).
  virtual void sweepDone(SimTime now, Duration sysmonDelay) = 0;
  virtual ScavengeRequest eager(const SpanAllocation& a, const ScavengerView& v,
                                std::optional<Bytes> memoryLimit) = 0;
  // What the runtime released for the last eager() request that asked for something.
  virtual void eagerDone(Bytes /*released*/) {}
  // When the background worker next wants to run; nullopt = parked.
  virtual std::optional<SimTime> nextWake() const = 0;
  // The worker runs at `now`: what it wants released. The runtime releases up to that and
  // reports the bytes and the CPU time it took with worked(); the policy then sleeps. A request
  // for 0 bytes means the worker parked or rescheduled itself and worked() is not called.
  virtual ScavengeRequest runBatch(SimTime now, const ScavengerView& v) = 0;
  virtual void worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) = 0;
};

// Thrown by checkScavengerParams; param() is the offending parameter's name, empty when the
// policy itself is unknown.
class ScavengerParamError : public std::invalid_argument {
 public:
  ScavengerParamError(const std::string& param, const std::string& message)
      : std::invalid_argument(message), param_(param) {}
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

// release selects the release quirks above; nullptr = the release the policy is named after
// (sysmon-5min: 1.11). Throws std::invalid_argument for an unknown name and
// ScavengerParamError for a parameter the policy does not honour.
std::unique_ptr<ScavengerPolicy> makeScavenger(const std::string& name, const ScavengerParams& params = {},
                                               const GoRelease* release = nullptr);
const char* knownScavengers();                    // "sysmon-5min, background, ..."
std::vector<std::string> scavengerNames();        // the registry, in that order
const std::vector<std::string>& scavengerParamNames();  // idle_threshold, period, ...
// The parameters `policy` honours, by scenario name.
std::vector<std::string> scavengerParamsHonoured(const std::string& policy);
// Throws ScavengerParamError if `params` sets a parameter `policy` does not honour, or if the
// policy is unknown and params is not empty.
void checkScavengerParams(const std::string& policy, const ScavengerParams& params);

}  // namespace gomemsim
