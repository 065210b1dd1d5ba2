// scavenger: policies that decide when free heap pages go back to the OS.
//
// A policy only decides; the runtime (engine) carries the release out through the page
// allocator and the OS model (mechanism apart from policy). Policies are chosen by name or by
// the scenario's Go version. The decision points every policy may use:
//   - paced():      after each GC's mark termination, with the new heap goal (gcPaceScavenger);
//   - sweepDone():  sweeping finished (Go 1.19 mgcsweep.go: scavenger.ready);
//   - eagerBytes(): at each span allocation, how much to release synchronously (heap growth,
//                   memory limit: Go 1.19 mheap.go allocSpan);
//   - nextWake()/runBatch(): the background worker, woken at simulated times.
// Models: "background-1.19" (Go 1.19 mgcscavenge.go: gcPercentGoal = 1.1 x lastHeapInUse x
// goal/lastGoal; memory-limit goal limit x 95 as shipped (golang/go#62449); 64 KiB quanta in
// batches of >= 1 ms of work, then sleeping so that work is 1 % of GOMAXPROCS CPUs), and
// "none" (never releases in the background; FreeOSMemory still does).
// Does not model yet: sysmon-5min (Go <= 1.12), background (1.13-1.18), Go 1.21 density.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "units/units.h"

namespace gomemsim {

// What a policy may read of the heap.
struct ScavengerView {
  Bytes heapRetained;   // heapInUse + heapFree (Go 1.19 heapRetained)
  Bytes heapFree;       // free, unreleased pages
  Bytes mappedReady;    // Sys - HeapReleased
  int64_t gomaxprocs = 1;
};

struct ScavengerPacing {
  Bytes heapGoal;
  Bytes lastHeapGoal;   // 0 before the first GC
  Bytes lastHeapInUse;  // heapInUse at the end of the last GC
  std::optional<Bytes> memoryLimit;
  Bytes heapRetained;
  Bytes mappedReady;
};

struct ScavengeBatch {
  Bytes maxBytes;       // release at most this now
  Duration sleepAfter;  // then sleep this long (per byte actually released, see runBatch)
};

class ScavengerPolicy {
 public:
  virtual ~ScavengerPolicy() = default;
  virtual std::string name() const = 0;
  virtual void paced(const ScavengerPacing& p) = 0;
  virtual void sweepDone(SimTime now) = 0;
  virtual Bytes eagerBytes(Bytes growth, Bytes scav, const ScavengerView& v,
                           std::optional<Bytes> memoryLimit) = 0;
  // When the background worker next wants to run; nullopt = parked.
  virtual std::optional<SimTime> nextWake() const = 0;
  // The worker runs at `now`: how much it wants released. The runtime releases up to that
  // and reports the bytes and the CPU time it took with worked(); the policy then sleeps.
  virtual Bytes runBatch(SimTime now, const ScavengerView& v) = 0;
  virtual void worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) = 0;
};

std::unique_ptr<ScavengerPolicy> makeScavenger(const std::string& name);
std::string scavengerForVersion(const std::string& goVersion);
const char* knownScavengers();

// Cost of releasing memory with madvise, per byte (calibrated: real Go 1.19 released 1.9 GiB in
// ~0.5 s in debug.FreeOSMemory and ~80 MiB/s at 1 % of 2 CPUs, ../shared/realgo/freeosmemory).
inline constexpr double kReleaseNsPerByte = 0.238;

}  // namespace gomemsim
