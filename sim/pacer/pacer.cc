#include "pacer/pacer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "common/pi_controller.h"

namespace gomemsim {
namespace {

constexpr int64_t kNoGoal = std::numeric_limits<int64_t>::max();
constexpr int64_t kSweepMinHeapDistance = 1 << 20;        // mgc.go: sweepMinHeapDistance
constexpr int64_t kMemoryLimitHeadroom = 1 << 20;         // go1.19 memoryLimitHeapGoalHeadroom,
                                                          // go1.21+ memoryLimitMinHeapGoalHeadroom
constexpr int64_t kMinRunway = 64 << 10;                  // heapGoalInternal: triggered + 64 KiB
constexpr int64_t kTriggerRatioDen = 64, kMinTriggerNum = 45, kMaxTriggerNum = 61;

// What changed in Go 1.21's mgcpacer.go: the cons/mark estimate and the memory-limit headroom.
struct PacerVariant {
  const char* name;
  // Go 1.18-1.20 endCycle: consMark smoothed by consMarkController (a PI controller); Go 1.21+:
  // the maximum of this cycle's value and the last 4 (lastConsMark), "to bias a noisy cons/mark
  // measurement toward fewer assists at the expense of additional GC cycles".
  bool consMarkMaxOfLast4;
  // memoryLimitHeapGoal's headroom: Go 1.19-1.20 a fixed 1 MiB; Go 1.21+ 3 % of the goal
  // (memoryLimitHeapGoalHeadroomPercent), at least 1 MiB.
  int64_t headroomPercent;
};
constexpr PacerVariant kGo119{"go1.19", false, 0};
constexpr PacerVariant kGo121{"go1.21", true, 3};

class Go119Pacer : public Pacer {
 public:
  Go119Pacer(const PacerVariant& v, int64_t gogc, std::optional<Bytes> limit) : v_(v), limit_(limit) {
    setGcPercent(gogc);
  }
  std::string name() const override { return v_.name; }
  void setGcPercent(int64_t percent) override {
    gcPercent_ = percent;
    // heapMinimum = defaultHeapMinimum * GOGC/100 (0 when off).
    heapMinimum_ = percent < 0 ? 0 : kDefaultHeapMinimum * percent / 100;
    recomputeGcPercentGoal();
  }
  int64_t gcPercent() const override { return gcPercent_; }
  void setMemoryLimit(std::optional<Bytes> limit) override { limit_ = limit; }
  std::optional<Bytes> memoryLimit() const override { return limit_; }

  void commit(const PacerCycleInputs& in) override {
    in_ = in;
    recomputeGcPercentGoal();
    // runway = consMark * (1-u)/u * (heapScan + stackScan + globalsScan)
    const double scan = static_cast<double>(in.heapScan.v + in.stackScan.v + in.globalsScan.v);
    runway_ = static_cast<int64_t>(consMark_ * (1 - kGcBackgroundUtilization) / kGcBackgroundUtilization * scan);
    sweepDistMinTrigger_ = in.sweepDone ? 0 : in.heapLive.v + kSweepMinHeapDistance;
    triggered_ = in.heapLive.v;
  }

  void endCycle(const PacerEndCycle& e) override {
    if (e.scanWork <= 0) return;
    const double u = e.utilization;
    const double current = static_cast<double>(e.heapLive.v - e.triggered.v) * (u + e.idleUtilization) /
                           (e.scanWork * (1 - u));
    if (v_.consMarkMaxOfLast4) {
      // Go 1.21+ endCycle: max(current, lastConsMark[0..3]), then shift current in.
      consMark_ = current;
      for (const double last : lastConsMark_) consMark_ = std::max(consMark_, last);
      std::copy(lastConsMark_.begin() + 1, lastConsMark_.end(), lastConsMark_.begin());
      lastConsMark_.back() = current;
      return;
    }
    // Go 1.19 endCycle: a controller that overflowed is reset and consMark starts again from 0.
    consMark_ = consMarkController_.next(consMark_, current, 1.0).value_or(0.0);
  }

  Bytes heapGoal(const PacerLimitInputs& lim) const override { return Bytes(goalInternal(lim).bytes); }

  Bytes trigger(const PacerLimitInputs& lim) const override {
    // mgcpacer.go: trigger().
    const Goal goal = goalInternal(lim);
    const int64_t g = goal.bytes;
    if (g == kNoGoal) return Bytes(kNoGoal);
    const int64_t marked = in_.heapMarked.v;
    if (marked >= g) return Bytes(g);
    int64_t minTrigger = marked + (g - marked) / kTriggerRatioDen * kMinTriggerNum;
    if (!goal.memoryLimited) minTrigger = std::max(minTrigger, sweepDistMinTrigger_);
    int64_t maxTrigger = marked + (g - marked) / kTriggerRatioDen * kMaxTriggerNum;
    if (g > kDefaultHeapMinimum && g - kDefaultHeapMinimum > maxTrigger) maxTrigger = g - kDefaultHeapMinimum;
    maxTrigger = std::max(maxTrigger, minTrigger);
    int64_t t = g - runway_;
    if (runway_ >= g) t = minTrigger;
    return Bytes(std::clamp(t, minTrigger, maxTrigger));
  }
  Bytes heapMarked() const override { return in_.heapMarked; }

 private:
  void recomputeGcPercentGoal() {
    if (gcPercent_ < 0) { gcPercentGoal_ = kNoGoal; return; }
    const int64_t m = in_.heapMarked.v;
    int64_t g = m + (m + in_.stackScan.v + in_.globalsScan.v) * gcPercent_ / 100;
    gcPercentGoal_ = std::max(g, heapMinimum_);
  }
  int64_t memoryLimitGoal(const PacerLimitInputs& lim) const {
    if (!limit_) return kNoGoal;
    // mgcpacer.go: memoryLimitHeapGoal.
    const int64_t limit = limit_->v;
    const int64_t nonHeap = lim.mappedReady.v - lim.heapFree.v - lim.heapAlloc.v;
    const int64_t overage = std::max<int64_t>(lim.mappedReady.v - limit, 0);
    const int64_t marked = in_.heapMarked.v;
    if (nonHeap + overage >= limit) return marked;
    int64_t goal = limit - (nonHeap + overage);
    const int64_t headroom = std::max(kMemoryLimitHeadroom, goal / 100 * v_.headroomPercent);
    // A goal too small to keep the headroom becomes the headroom itself.
    goal = (goal < headroom || goal - headroom < headroom) ? headroom : goal - headroom;
    return std::max(goal, marked);
  }
  struct Goal {
    int64_t bytes;
    bool memoryLimited;  // the memory-limit goal is the smaller one
  };
  Goal goalInternal(const PacerLimitInputs& lim) const {
    // heapGoalInternal: min of the two goals; the sweep distance and minimum runway apply only
    // when the GOGC goal is the smaller one, the runway only once a cycle has been triggered.
    const int64_t ml = memoryLimitGoal(lim);
    int64_t g = gcPercentGoal_;
    if (ml < g) return Goal{ml, true};
    if (g == kNoGoal) return Goal{g, false};
    g = std::max(g, sweepDistMinTrigger_);
    if (triggered_ != kNoGoal) g = std::max(g, triggered_ + kMinRunway);
    return Goal{g, false};
  }

  PacerVariant v_;
  int64_t gcPercent_ = 100;
  int64_t heapMinimum_ = kDefaultHeapMinimum;
  std::optional<Bytes> limit_;
  PacerCycleInputs in_{};
  int64_t gcPercentGoal_ = kDefaultHeapMinimum;
  int64_t runway_ = 0;
  int64_t sweepDistMinTrigger_ = 0;
  int64_t triggered_ = kNoGoal;  // ^uint64(0) until a cycle is triggered
  double consMark_ = 0;
  PiController consMarkController_{0.9, 4.0, 1000, -1000, 1000};  // go1.19 mgcpacer.go init
  std::array<double, 4> lastConsMark_{};                           // go1.21 lastConsMark
};

}  // namespace

std::unique_ptr<Pacer> makePacer(const std::string& name, int64_t gogc, std::optional<Bytes> limit) {
  if (name == kGo119.name) return std::make_unique<Go119Pacer>(kGo119, gogc, limit);
  if (name == kGo121.name) return std::make_unique<Go119Pacer>(kGo121, gogc, limit);
  throw std::invalid_argument("unknown pacer '" + name + "' (known: " + kKnownPacers + ")");
}

bool isKnownPacer(const std::string& name) { return name == kGo119.name || name == kGo121.name; }

}  // namespace gomemsim
