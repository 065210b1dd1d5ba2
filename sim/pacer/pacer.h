// pacer: when the next GC starts and how large the heap may grow (the heap goal).
//
// Models: Go 1.18+/1.19 mgcpacer.go (gcControllerState.commit, heapGoalInternal, trigger,
// memoryLimitHeapGoal, endCycle): goal = heapMarked + (heapMarked + stacks + globals) * GOGC/100,
// at least heapMinimum = 4 MiB * GOGC/100; GOGC=off = no goal; the memory-limit goal
// limit - (non-heap + overage) - 1 MiB headroom, floored at heapMarked; the effective goal is the
// smaller. The trigger is goal - runway, clamped to [0.7, 0.95] of the distance from heapMarked
// (maxTrigger raised to goal - 4 MiB for large heaps), runway from the consMark estimate
// (PI-smoothed in 1.19). Policies are chosen by name or by the Go release (goversion.h):
// "go1.19" (Go 1.18-1.20) and "go1.21" (Go 1.21+: cons/mark = the maximum of this cycle's and
// the last 4, memory-limit headroom 3 % of the goal, at least 1 MiB; the same in Go 1.26.8 and
// 1.27.3 mgcpacer.go).
// Does not model: the Go <= 1.17 trigger-ratio controller (planned as another policy).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "units/units.h"

namespace gomemsim {

struct PacerCycleInputs {
  Bytes heapMarked;
  Bytes heapScan;      // scannable heap bytes marked (lastHeapScan)
  Bytes stackScan;     // lastStackScan
  Bytes globalsScan;
  bool sweepDone = true;
  Bytes heapLive;      // at commit time
};

struct PacerLimitInputs {   // what the memory-limit goal needs, read when the goal is asked for
  Bytes mappedReady;        // Sys - HeapReleased
  Bytes heapFree;           // free, unreleased heap pages
  Bytes heapAlloc;          // allocated object bytes (incl. unswept)
};

// Measurements at the end of a mark phase, for the cons/mark estimate.
struct PacerEndCycle {
  Bytes heapLive;       // at mark termination
  Bytes triggered;      // heapLive when the cycle started
  double scanWork = 0;  // bytes scanned
  double utilization = 0.25;  // background + assist utilisation
  double idleUtilization = 0;
};

class Pacer {
 public:
  virtual ~Pacer() = default;
  virtual std::string name() const = 0;
  virtual void setGcPercent(int64_t percent) = 0;   // -1 = off
  virtual int64_t gcPercent() const = 0;
  virtual void setMemoryLimit(std::optional<Bytes> limit) = 0;
  virtual std::optional<Bytes> memoryLimit() const = 0;
  // Mark termination: new cycle's inputs (gcControllerState.commit).
  virtual void commit(const PacerCycleInputs& in) = 0;
  virtual void endCycle(const PacerEndCycle& e) = 0;
  // The heap goal now (NextGC) and the trigger now; both depend on the memory limit's inputs.
  virtual Bytes heapGoal(const PacerLimitInputs& lim) const = 0;
  virtual Bytes trigger(const PacerLimitInputs& lim) const = 0;
  virtual Bytes heapMarked() const = 0;
};

// "go1.19" (Go 1.18-1.20), "go1.21" (Go 1.21+: cons/mark and memory-limit headroom).
std::unique_ptr<Pacer> makePacer(const std::string& name, int64_t gogc, std::optional<Bytes> limit);
// The pacer policies makePacer knows, for checking scenario files.
bool isKnownPacer(const std::string& name);
inline constexpr const char* kKnownPacers = "go1.19, go1.21";

inline constexpr int64_t kDefaultHeapMinimum = 4 << 20;  // mgcpacer.go: defaultHeapMinimum
inline constexpr double kGcBackgroundUtilization = 0.25;  // gcBackgroundUtilization

}  // namespace gomemsim
