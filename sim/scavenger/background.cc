// background: the Go 1.13-1.18 background scavenger, "background", as Go 1.14-1.17 ran it
// (gccgo copy of go1.17 mgcscavenge.go gcPaceScavenger / bgscavenge and mheap.go grow).
//
// Models: goal = last_heap_inuse x heapGoal/lastHeapGoal x (1 + retainExtraPercent = 10/100),
// rounded up to a physical page; off before the first GC and when heapRetained (heap_sys -
// heap_released) is at most one physical page above it. The worker is readied when sweeping
// ends and woken by sysmon (readyForScavenger); while heapRetained > goal it releases one
// physical page per iteration (mheap_.pages.scavenge(physPageSize)), which findScavengeCandidate
// widens to the whole 2 MiB huge page around it when that huge page is free, highest address
// first; modelled as batches of one huge page (less near the goal), then sleeps
// crit / scavengePercent (adjust = scavengeEWMA / idealFraction taken as 1: the EWMA corrects
// scheduling noise the simulator does not have; crit capped at maxCrit = 10 ms), i.e. ~1 % of
// one CPU whatever GOMAXPROCS is. Heap growth (mheap.grow): if retained + growth > goal,
// release min(growth, retained + growth - goal) at once.
// Go 1.13 differs: goal = next_gc x 1.1 (no in-use scaling), a linear glide path at 10 us of
// assumed work per 4 KiB page or 2 MiB huge page (scavengePagePeriod), on the pre-1.14 treap.
// Go 1.18 differs in pacing only: 64 KiB quanta in >= 1 ms batches at 1 % of GOMAXPROCS CPUs,
// the heap-growth release moved to allocSpan - background-1.19 without the memory limit.
// Parameters honoured: idle_threshold, retain_extra (default 10 %), cpu_fraction (default 1 %).
// Does not model: scavengeReservationShards (Go 1.15+), scavengeCostRatio (Darwin only).
#include <algorithm>

#include "scavenger/policies.h"

namespace gomemsim::scav {
namespace {

constexpr int64_t kHugePage = 2 << 20;       // linux/amd64 physHugePageSize
constexpr double kMaxCritNs = 10e6;          // bgscavenge: maxCrit

class Background : public ScavengerPolicy {
 public:
  explicit Background(const ScavengerParams& p)
      : idle_(p.idleThreshold), retainExtra_(p.retainExtra.value_or(kRetainExtra)),
        cpuFraction_(p.cpuFraction.value_or(kScavengeFraction)) {}

  std::string name() const override { return "background"; }
  bool needsFreeTimes() const override { return idle_.has_value(); }

  void paced(const ScavengerPacing& p) override { goal_ = gcPercentGoal(p, retainExtra_); }

  void sweepDone(SimTime now, Duration sysmonDelay) override {
    if (goal_ == kNoGoal) return;
    const SimTime w = now + sysmonDelay;
    if (!wake_ || *wake_ > w) wake_ = w;
  }

  ScavengeRequest eager(const SpanAllocation& a, const ScavengerView& v, std::optional<Bytes>) override {
    // go1.17 mheap.grow: retained + totalGrowth > scavengeGoal -> scavenge min(growth, overage).
    if (goal_ == kNoGoal || a.growth.v == 0 || v.heapRetained.v + a.growth.v <= goal_) return ScavengeRequest{};
    const int64_t todo = std::min(a.growth.v, v.heapRetained.v + a.growth.v - goal_);
    return ScavengeRequest{Bytes(todo), nonForcedSelect(idle_, v.now, false)};
  }

  std::optional<SimTime> nextWake() const override { return wake_; }

  ScavengeRequest runBatch(SimTime now, const ScavengerView& v) override {
    const int64_t todo = goal_ == kNoGoal ? 0 : std::min(v.heapRetained.v - goal_, v.heapFree.v);
    if (todo <= 0) {
      wake_.reset();  // retained <= goal: park
      return ScavengeRequest{};
    }
    const int64_t want = std::min(kHugePage, (todo + kPageSize - 1) / kPageSize * kPageSize);
    return ScavengeRequest{Bytes(want), nonForcedSelect(idle_, now, false)};
  }

  void worked(SimTime now, Bytes released, Duration cpu, const ScavengerView&) override {
    if (released.v == 0) {  // nothing found: park
      wake_.reset();
      return;
    }
    const double crit = std::min(static_cast<double>(cpu.v), kMaxCritNs);
    wake_ = now + Duration(static_cast<int64_t>(crit / cpuFraction_));
  }

 private:
  std::optional<Duration> idle_;
  double retainExtra_;
  double cpuFraction_;
  int64_t goal_ = kNoGoal;
  std::optional<SimTime> wake_;
};

}  // namespace

std::unique_ptr<ScavengerPolicy> makeBackground(const ScavengerParams& p, const GoRelease&) {
  return std::make_unique<Background>(p);
}

}  // namespace gomemsim::scav
