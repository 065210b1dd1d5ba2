#include "scavenger/background119.h"

#include <algorithm>

namespace gomemsim::scav {
namespace {

constexpr int64_t kScavengeQuantum = 64 << 10;    // mgcscavenge.go: scavengeQuantum (Go 1.18+)
constexpr int64_t kMinScavWorkTimeNs = 1000000;   // mgcscavenge.go: minScavWorkTime (1 ms)

}  // namespace

Background119::Background119(const ScavengerParams& p, const std::string& goVersion)
    : idle_(p.idleThreshold), retainExtra_(p.retainExtra.value_or(kRetainExtra)),
      cpuFraction_(p.cpuFraction.value_or(kScavengeFraction)), limitGoalBug_(hasMemoryLimitGoalBug(goVersion)) {}

void Background119::paced(const ScavengerPacing& p) {
  // Go 1.19 mgcscavenge.go: gcPaceScavenger.
  memoryLimitGoal_ = memoryLimitGoal(p.memoryLimit, p.mappedReady, limitGoalBug_);
  gcPercentGoal_ = gcPercentGoal(p, retainExtra_);
}

void Background119::sweepDone(SimTime now) {
  if (gcPercentGoal_ == kNoGoal && memoryLimitGoal_ == kNoGoal) return;
  const SimTime w = now + Duration(kWakeDelayNs);
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
  // Quanta until >= 1 ms of work, but no further than the goal.
  const int64_t perBatch = static_cast<int64_t>(kMinScavWorkTimeNs / kReleaseNsPerByte);
  int64_t want = std::min(perBatch, todo);
  want = (want + kScavengeQuantum - 1) / kScavengeQuantum * kScavengeQuantum;
  return ScavengeRequest{Bytes(want), nonForcedSelect(idle_, now, generational())};
}

void Background119::worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) {
  if (released.v == 0) {  // nothing could be found: park
    wake_.reset();
    return;
  }
  // scavengerState.sleep: the controller settles where work is cpuFraction of all Ps; at least
  // 1 ms of work is charged per batch.
  const double worked = std::max<double>(static_cast<double>(cpu.v), kMinScavWorkTimeNs);
  const double share = cpuFraction_ * static_cast<double>(v.gomaxprocs);
  const double sleep = std::max(0.0, worked * (1 / share - 1));
  wake_ = now + Duration(static_cast<int64_t>(sleep));
}

int64_t Background119::excess(const ScavengerView& v) const {
  int64_t e = 0;
  if (gcPercentGoal_ != kNoGoal) e = std::max(e, v.heapRetained.v - gcPercentGoal_);
  if (memoryLimitGoal_ != kNoGoal) e = std::max(e, v.mappedReady.v - memoryLimitGoal_);
  return std::min(e, v.heapFree.v);
}

std::unique_ptr<ScavengerPolicy> makeBackground119(const ScavengerParams& p, const std::string& goVersion) {
  return std::make_unique<Background119>(p, goVersion);
}

}  // namespace gomemsim::scav
