#include "scavenger/background119.h"

#include <algorithm>

namespace gomemsim::scav {
namespace {

constexpr int64_t kScavengeQuantum = 64 << 10;    // mgcscavenge.go: scavengeQuantum (Go 1.18+)
constexpr int64_t kMinScavWorkTimeNs = 1000000;   // mgcscavenge.go: minScavWorkTime (1 ms)
constexpr double kStartingScavSleepRatio = 0.001;  // mgcscavenge.go: startingScavSleepRatio
constexpr double kControllerCooldownNs = 5e9;      // scavengerState.sleep: controllerCooldown
// mgcscavenge.go scavengerState.init: sleepController ("tuned loosely via Ziegler-Nichols").
PiController sleepControllerInit() { return PiController{0.3375, 3.2e6, 1e9, 0.001, 1000.0}; }

}  // namespace

Background119::Background119(const ScavengerParams& p, const GoRelease& release)
    : idle_(p.idleThreshold), retainExtra_(p.retainExtra.value_or(kRetainExtra)),
      cpuFraction_(p.cpuFraction.value_or(kScavengeFraction)), limitGoalBug_(release.scavengerLimitGoalBug),
      sleepRatio_(kStartingScavSleepRatio), sleepController_(sleepControllerInit()) {}

void Background119::paced(const ScavengerPacing& p) {
  // Go 1.19 mgcscavenge.go: gcPaceScavenger.
  memoryLimitGoal_ = memoryLimitGoal(p.memoryLimit, p.mappedReady, limitGoalBug_);
  gcPercentGoal_ = gcPercentGoal(p, retainExtra_);
}

void Background119::sweepDone(SimTime now, Duration sysmonDelay) {
  if (gcPercentGoal_ == kNoGoal && memoryLimitGoal_ == kNoGoal) return;
  const SimTime w = now + sysmonDelay;
  if (!wake_ || *wake_ > w) wake_ = w;
}

ScavengeRequest Background119::eager(const SpanAllocation& a, const ScavengerView& v,
                                     std::optional<Bytes> memoryLimit) {
  // Go 1.19 mheap.go allocSpan: memory-limit and heap-growth scavenging, the larger. The
  // memory-limit part is forced (Go 1.21: force = true ignores density).
  int64_t limitBytes = 0;
  if (memoryLimit && v.mappedReady.v + a.scav.v > memoryLimit->v)
    limitBytes = v.mappedReady.v + a.scav.v - memoryLimit->v;
  int64_t growthBytes = 0;
  if (gcPercentGoal_ != kNoGoal && a.growth.v > 0 && v.heapRetained.v + a.growth.v > gcPercentGoal_)
    growthBytes = std::min(a.growth.v, v.heapRetained.v + a.growth.v - gcPercentGoal_);
  if (limitBytes > 0) return ScavengeRequest{Bytes(std::max(limitBytes, growthBytes)), ScavengeSelect{}};
  return ScavengeRequest{Bytes(growthBytes), nonForcedSelect(idle_, v.now, generational())};
}

ScavengeRequest Background119::runBatch(SimTime now, const ScavengerView& v) {
  const int64_t todo = excess(v);
  if (todo <= 0) {
    wake_.reset();  // park until the next sweep completion
    return ScavengeRequest{};
  }
  // scavengerState.run: 64 KiB quanta until >= 1 ms of work, but no further than the goals.
  return ScavengeRequest{Bytes(todo), nonForcedSelect(idle_, now, generational()), Bytes(kScavengeQuantum),
                         Duration(kMinScavWorkTimeNs)};
}

void Background119::worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) {
  if (released.v == 0) {  // nothing could be found: park (bgscavenge)
    wake_.reset();
    return;
  }
  // scavengerState.sleep: at least minScavWorkTime is counted; sleep worked / sleepRatio.
  const double worked = std::max<double>(static_cast<double>(cpu.v), kMinScavWorkTimeNs);
  const double slept = worked / sleepRatio_;
  wake_ = now + Duration(static_cast<int64_t>(slept));
  // After the sleep, the controller sees the CPU share of that period (the simulated sleep is
  // exact, so it can be fed now).
  if (cooldownNs_ > 0) {
    cooldownNs_ = slept + worked > cooldownNs_ ? 0 : cooldownNs_ - (slept + worked);
    return;
  }
  const double cpuFraction = worked / ((slept + worked) * static_cast<double>(v.gomaxprocs));
  const std::optional<double> ratio = sleepController_.next(cpuFraction, cpuFraction_, slept + worked);
  if (ratio) {
    sleepRatio_ = *ratio;
  } else {
    sleepRatio_ = kStartingScavSleepRatio;
    cooldownNs_ = kControllerCooldownNs;
  }
}

int64_t Background119::excess(const ScavengerView& v) const {
  int64_t e = 0;
  if (gcPercentGoal_ != kNoGoal) e = std::max(e, v.heapRetained.v - gcPercentGoal_);
  if (memoryLimitGoal_ != kNoGoal) e = std::max(e, v.mappedReady.v - memoryLimitGoal_);
  return std::min(e, v.heapFree.v);
}

std::unique_ptr<ScavengerPolicy> makeBackground119(const ScavengerParams& p, const GoRelease& release) {
  return std::make_unique<Background119>(p, release);
}

}  // namespace gomemsim::scav
