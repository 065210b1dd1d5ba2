// background119: the Go 1.19 background scavenger (mgcscavenge.go) and allocation-time
// scavenging (mheap.go allocSpan); background-1.21 (background121.cc) refines it.
//
// Models: gcPaceScavenger's two goals, recomputed at each mark termination: gcPercentGoal =
// lastHeapInUse x heapGoal/lastHeapGoal x (1 + retainExtraPercent/100), off before the first GC
// and within a physical page; memoryLimitGoal = limit x 95 as shipped in Go 1.19-1.21
// (golang/go#62449), limit x 0.95 from Go 1.22. The worker is readied when sweeping ends and
// woken by sysmon ~2 s later; it runs while either goal is unmet (scavengerState.run: 64 KiB
// quanta until >= 1 ms of work, never past the goal), then sleeps so that work is
// scavengePercent = 1 % of GOMAXPROCS CPUs (scavengerState.sleep: the PI controller's settled
// point; at least minScavWorkTime = 1 ms charged per batch); it parks when it finds nothing.
// allocSpan releases synchronously the larger of the memory-limit excess (mappedReady + scav -
// limit) and the heap-growth overage min(growth, heapRetained + growth - gcPercentGoal).
// Parameters honoured: idle_threshold (release only pages free for longer; Go has none),
// retain_extra (retainExtraPercent, default 10 %), cpu_fraction (scavengePercent, default 1 %).
// While the GC CPU limiter is on the runtime passes no memory limit to eager() (mheap.go
// allocSpan skips memory-limit scavenging then).
// Does not model: the PI controller's transient and its [controller reset], huge-page-aware
// candidate widening.
#pragma once

#include <optional>
#include <string>

#include "scavenger/policies.h"

namespace gomemsim::scav {

class Background119 : public ScavengerPolicy {
 public:
  Background119(const ScavengerParams& p, const std::string& goVersion);

  std::string name() const override { return "background-1.19"; }
  bool needsFreeTimes() const override { return idle_.has_value(); }
  void paced(const ScavengerPacing& p) override;
  void sweepDone(SimTime now) override;
  ScavengeRequest eager(const SpanAllocation& a, const ScavengerView& v, std::optional<Bytes> memoryLimit) override;
  std::optional<SimTime> nextWake() const override { return wake_; }
  ScavengeRequest runBatch(SimTime now, const ScavengerView& v) override;
  void worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) override;

 protected:
  // Go 1.21 makes background and heap-growth scavenging generational (force = false).
  virtual bool generational() const { return false; }

 private:
  int64_t excess(const ScavengerView& v) const;
  std::optional<Duration> idle_;
  double retainExtra_;
  double cpuFraction_;
  bool limitGoalBug_;
  int64_t gcPercentGoal_ = kNoGoal;
  int64_t memoryLimitGoal_ = kNoGoal;
  std::optional<SimTime> wake_;
};

}  // namespace gomemsim::scav
