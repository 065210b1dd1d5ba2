#include "scavenger/scavenger.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace gomemsim {
namespace {

constexpr int64_t kNoGoal = std::numeric_limits<int64_t>::max();
constexpr int64_t kPhysPage = kOsPageSize;
constexpr double kRetainExtraPercent = 10;         // mgcscavenge.go: retainExtraPercent
constexpr double kReduceExtraPercent = 5;          // mgcscavenge.go: reduceExtraPercent
constexpr double kScavengePercent = 1;             // mgcscavenge.go: scavengePercent
constexpr int64_t kScavengeQuantum = 64 << 10;     // mgcscavenge.go: scavengeQuantum
constexpr int64_t kMinScavWorkTimeNs = 1000000;    // mgcscavenge.go: minScavWorkTime (1 ms)
// Delay between sweep completion and the scavenger's first batch: sysmon wakes it
// (scavenger.ready -> sysmon -> scavenger.wake); measured ~2 s on real Go 1.19 here.
constexpr int64_t kWakeDelayNs = 2000000000;

class Background119 : public ScavengerPolicy {
 public:
  std::string name() const override { return "background-1.19"; }

  void paced(const ScavengerPacing& p) override {
    // mgcscavenge.go: gcPaceScavenger (Go 1.19).
    memoryLimitGoal_ = kNoGoal;
    if (p.memoryLimit) {
      // As shipped in 1.19-1.21: limit * (100 - reduceExtraPercent), i.e. 95x the limit
      // (golang/go#62449), so the background scavenger never works for the memory limit.
      const double g = static_cast<double>(p.memoryLimit->v) * (100 - kReduceExtraPercent);
      memoryLimitGoal_ = g >= 9.2e18 ? kNoGoal : static_cast<int64_t>(g);
    }
    if (p.lastHeapGoal.v == 0) {  // no GC has completed yet
      gcPercentGoal_ = kNoGoal;
      return;
    }
    const double ratio = static_cast<double>(p.heapGoal.v) / static_cast<double>(p.lastHeapGoal.v);
    int64_t goal = static_cast<int64_t>(static_cast<double>(p.lastHeapInUse.v) * ratio);
    goal += static_cast<int64_t>(static_cast<double>(goal) * kRetainExtraPercent / 100);
    goal = (goal + kPhysPage - 1) / kPhysPage * kPhysPage;
    // Under the goal or within a physical page of it: nothing to do.
    if (p.heapRetained.v <= goal || p.heapRetained.v - goal < kPhysPage) goal = kNoGoal;
    gcPercentGoal_ = goal;
  }

  void sweepDone(SimTime now) override {
    if (gcPercentGoal_ == kNoGoal && memoryLimitGoal_ == kNoGoal) return;
    const SimTime w = now + Duration(kWakeDelayNs);
    if (!wake_ || *wake_ > w) wake_ = w;
  }

  Bytes eagerBytes(Bytes growth, Bytes scav, const ScavengerView& v,
                   std::optional<Bytes> memoryLimit) override {
    // mheap.go allocSpan (Go 1.19): memory-limit and heap-growth scavenging, the larger.
    int64_t bytes = 0;
    if (memoryLimit && v.mappedReady.v + scav.v > memoryLimit->v)
      bytes = v.mappedReady.v + scav.v - memoryLimit->v;
    if (gcPercentGoal_ != kNoGoal && growth.v > 0 && v.heapRetained.v + growth.v > gcPercentGoal_) {
      const int64_t todo = std::min(growth.v, v.heapRetained.v + growth.v - gcPercentGoal_);
      bytes = std::max(bytes, todo);
    }
    return Bytes(bytes);
  }

  std::optional<SimTime> nextWake() const override { return wake_; }

  Bytes runBatch(SimTime, const ScavengerView& v) override {
    if (!hasWork(v)) {
      wake_.reset();  // park until the next sweep completion
      return Bytes(0);
    }
    // Quanta until >= 1 ms of work, but no further than the goal.
    const int64_t perBatch = static_cast<int64_t>(kMinScavWorkTimeNs / kReleaseNsPerByte);
    int64_t want = std::min(perBatch, excess(v));
    want = (want + kScavengeQuantum - 1) / kScavengeQuantum * kScavengeQuantum;
    return Bytes(want);
  }

  void worked(SimTime now, Bytes released, Duration cpu, const ScavengerView& v) override {
    if (released.v == 0) {  // nothing could be found: park
      wake_.reset();
      return;
    }
    // scavengerState.sleep: the controller settles where work is scavengePercent of all Ps;
    // at least 1 ms of work is charged per batch.
    const double worked = std::max<double>(static_cast<double>(cpu.v), kMinScavWorkTimeNs);
    const double share = kScavengePercent / 100 * static_cast<double>(v.gomaxprocs);
    const double sleep = worked * (1 / share - 1);
    wake_ = now + Duration(static_cast<int64_t>(sleep));
  }

 private:
  int64_t excess(const ScavengerView& v) const {
    int64_t e = 0;
    if (gcPercentGoal_ != kNoGoal) e = std::max(e, v.heapRetained.v - gcPercentGoal_);
    if (memoryLimitGoal_ != kNoGoal) e = std::max(e, v.mappedReady.v - memoryLimitGoal_);
    return std::min(e, v.heapFree.v);
  }
  bool hasWork(const ScavengerView& v) const { return excess(v) > 0; }
  int64_t gcPercentGoal_ = kNoGoal;
  int64_t memoryLimitGoal_ = kNoGoal;
  std::optional<SimTime> wake_;
};

class NoScavenger : public ScavengerPolicy {
 public:
  std::string name() const override { return "none"; }
  void paced(const ScavengerPacing&) override {}
  void sweepDone(SimTime) override {}
  Bytes eagerBytes(Bytes, Bytes, const ScavengerView&, std::optional<Bytes>) override { return Bytes(0); }
  std::optional<SimTime> nextWake() const override { return std::nullopt; }
  Bytes runBatch(SimTime, const ScavengerView&) override { return Bytes(0); }
  void worked(SimTime, Bytes, Duration, const ScavengerView&) override {}
};

}  // namespace

const char* knownScavengers() { return "background-1.19, none"; }

std::unique_ptr<ScavengerPolicy> makeScavenger(const std::string& name) {
  if (name == "background-1.19") return std::make_unique<Background119>();
  if (name == "none") return std::make_unique<NoScavenger>();
  throw std::invalid_argument("unknown scavenger policy '" + name + "' (known: " + knownScavengers() + ")");
}

std::string scavengerForVersion(const std::string&) { return "background-1.19"; }

}  // namespace gomemsim
