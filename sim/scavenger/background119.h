// background119: the Go 1.19 background scavenger (mgcscavenge.go) and allocation-time
// scavenging (mheap.go allocSpan); background-1.21 (background121.cc) refines it.
//
// Models: gcPaceScavenger's two goals, recomputed at each mark termination: gcPercentGoal =
// lastHeapInUse x heapGoal/lastHeapGoal x (1 + retainExtraPercent/100), off before the first GC
// and within a physical page; memoryLimitGoal = limit x 95 as shipped in Go 1.19-1.21
// (golang/go#62449), limit x 0.95 from Go 1.22. The worker is readied when sweeping ends and
// woken when sysmon next looks (scavenger.ready -> sysmon -> scavenger.wake). Each batch
// (scavengerState.run) releases 64 KiB quanta (scavengeQuantum; the page allocator widens one to
// a whole free huge page), each timed, until >= 1 ms of work (minScavWorkTime) or the goals are
// met; it parks when it finds nothing. Between batches it sleeps worked / sleepRatio
// (scavengerState.sleep; worked counted as at least 1 ms), and sleepRatio comes from Go's PI
// controller (kp 0.3375, ti 3.2 ms, tt 1 s, output 0.001-1000) driven toward scavengePercent =
// 1 % of GOMAXPROCS CPUs: from its starting ratio 0.001 the first batches are 1 s and ~0.3 s
// apart, then the integral's wind-up lets the worker run about half the time for a few tens of
// milliseconds before it settles. The controller's state lasts for the life of the program; on
// overflow it falls back to 0.001 for a 5 s cool-down (controllerCooldown).
// allocSpan releases synchronously the larger of the memory-limit excess (mappedReady + scav -
// limit) and the heap-growth overage min(growth, heapRetained + growth - gcPercentGoal).
// Parameters honoured: idle_threshold (release only pages free for longer; Go has none),
// retain_extra (retainExtraPercent, default 10 %), cpu_fraction (scavengePercent, default 1 %).
// While the GC CPU limiter is on the runtime passes no memory limit to eager() (mheap.go
// allocSpan skips memory-limit scavenging then).
// Does not model: timer slack in the sleeps, a wake by sysmon cutting a sleep short,
// scavengeCostRatio (0 on Linux).
#pragma once

#include <optional>
#include <string>

#include "common/pi_controller.h"
#include "scavenger/policies.h"

namespace gomemsim::scav {

class Background119 : public ScavengerPolicy {
 public:
  Background119(const ScavengerParams& p, const GoRelease& release);

  std::string name() const override { return "background-1.19"; }
  bool needsFreeTimes() const override { return idle_.has_value(); }
  void paced(const ScavengerPacing& p) override;
  void sweepDone(SimTime now, Duration sysmonDelay) override;
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
  // scavengerState.sleepRatio, sleepController, controllerCooldown.
  double sleepRatio_;
  PiController sleepController_;
  double cooldownNs_ = 0;
};

}  // namespace gomemsim::scav
