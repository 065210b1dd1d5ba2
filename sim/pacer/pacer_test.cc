// Unit tests for the go1.19 pacer (Go 1.19 mgcpacer.go: commit, heapGoalInternal,
// memoryLimitHeapGoal, trigger, endCycle). Expected values are computed here from those
// formulas with the integer arithmetic the runtime uses.
#include "pacer/pacer.h"
#include "goversion/goversion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace gomemsim {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMiB = int64_t{1} << 20;

// minTrigger/maxTrigger of mgcpacer.go trigger(): ((goal-marked)/64)*45 and *61 above marked.
int64_t minTriggerOf(int64_t marked, int64_t goal) { return marked + (goal - marked) / 64 * 45; }
int64_t maxTriggerOf(int64_t marked, int64_t goal) { return marked + (goal - marked) / 64 * 61; }
// ... raised to goal - defaultHeapMinimum for large heaps (go1.19).
int64_t raisedMaxTriggerOf(int64_t marked, int64_t goal) {
  const int64_t m = maxTriggerOf(marked, goal);
  return goal > 4 * (int64_t{1} << 20) && goal - 4 * (int64_t{1} << 20) > m ? goal - 4 * (int64_t{1} << 20) : m;
}

PacerCycleInputs cycle(int64_t marked, int64_t heapScan = 0, int64_t stack = 0, int64_t globals = 0) {
  PacerCycleInputs in;
  in.heapMarked = Bytes(marked);
  in.heapScan = Bytes(heapScan);
  in.stackScan = Bytes(stack);
  in.globalsScan = Bytes(globals);
  in.sweepDone = true;
  in.heapLive = Bytes(marked);  // gcController.resetLive: heapLive = heapMarked at commit
  return in;
}

const PacerLimitInputs kNoLimitInputs{};

TEST(Pacer, FirstTriggerWithDefaultGogc) {
  auto p = makePacer("go1.19", 100, std::nullopt);
  EXPECT_EQ(p->name(), "go1.19");
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, 4 * kMiB);
  // heapMarked = 0, goal = 4 MiB, runway = 0 -> maxTrigger = (4 MiB / 64) * 61.
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, 3997696);
  EXPECT_EQ(p->heapMarked().v, 0);
}

TEST(Pacer, GoalAfterCommitCountsStacksAndGlobals) {
  auto p = makePacer("go1.19", 100, std::nullopt);
  const int64_t marked = 10 * kMiB + 12345, stack = kMiB + 7, globals = 512 * 1024 + 3;
  p->commit(cycle(marked, 2 * kMiB, stack, globals));
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, marked + (marked + stack + globals) * 100 / 100);
  EXPECT_EQ(p->heapMarked().v, marked);

  p->setGcPercent(50);
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, marked + (marked + stack + globals) * 50 / 100);
  p->setGcPercent(300);
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, marked + (marked + stack + globals) * 300 / 100);
  EXPECT_EQ(p->gcPercent(), 300);
}

TEST(Pacer, HeapMinimumScalesWithGogc) {
  for (const int64_t gogc : {50, 100, 200, 400}) {
    SCOPED_TRACE(gogc);
    auto p = makePacer("go1.19", gogc, std::nullopt);
    const int64_t heapMinimum = (4 * kMiB) * gogc / 100;
    EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, heapMinimum);
    EXPECT_EQ(p->trigger(kNoLimitInputs).v, raisedMaxTriggerOf(0, heapMinimum));
    // A small live heap still gets the minimum: 1 MiB marked -> 1 + 1*GOGC/100 MiB < minimum.
    p->commit(cycle(kMiB));
    EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, std::max(kMiB + kMiB * gogc / 100, heapMinimum));
  }
  // setGcPercent rescales the minimum too.
  auto p = makePacer("go1.19", 100, std::nullopt);
  p->commit(cycle(kMiB));
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, 4 * kMiB);
  p->setGcPercent(200);
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, 8 * kMiB);
}

TEST(Pacer, TinyGogcFirstGoalIsTheScaledHeapMinimum) {
  // GOGC=1: heapMinimum = 4 MiB / 100 = 41943. gcControllerState.init sets
  // triggered = ^uint64(0), so heapGoalInternal's minRunway (triggered + 64 KiB) does not apply
  // before the first cycle has started.
  auto p = makePacer("go1.19", 1, std::nullopt);
  const int64_t heapMinimum = 4 * kMiB / 100;
  if (p->heapGoal(kNoLimitInputs).v != heapMinimum)
    FAIL() << "regression: with GOGC=1 the first heap goal is " << p->heapGoal(kNoLimitInputs).v
                 << " instead of heapMinimum " << heapMinimum
                 << ": Go119Pacer starts with triggered_ = 0, so goal() raises the goal to "
                    "triggered_ + 64 KiB; Go initialises triggered to ^uint64(0) (no minimum "
                    "runway until a cycle is triggered).";
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, heapMinimum);
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, maxTriggerOf(0, heapMinimum));
}

TEST(Pacer, GogcOffHasNoGoalUnlessAMemoryLimitIsSet) {
  auto p = makePacer("go1.19", -1, std::nullopt);
  EXPECT_EQ(p->gcPercent(), -1);
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, kMaxInt64);
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, kMaxInt64);
  p->commit(cycle(100 * kMiB));
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, kMaxInt64);
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, kMaxInt64);

  // With a limit: the memory-limit goal alone. mappedReady 180, heapFree 10, heapAlloc 120
  // -> nonHeap 50 MiB; goal = 256 - 50 - 0 - 1 = 205 MiB.
  p->setMemoryLimit(Bytes(256 * kMiB));
  ASSERT_TRUE(p->memoryLimit().has_value());
  const PacerLimitInputs lim{Bytes(180 * kMiB), Bytes(10 * kMiB), Bytes(120 * kMiB)};
  EXPECT_EQ(p->heapGoal(lim).v, 205 * kMiB);
  // runway 0: trigger = maxTrigger, here raised to goal - 4 MiB = 201 MiB.
  EXPECT_EQ(p->trigger(lim).v, raisedMaxTriggerOf(100 * kMiB, 205 * kMiB));
  EXPECT_EQ(p->trigger(lim).v, 201 * kMiB);
  EXPECT_LT(p->trigger(lim).v, p->heapGoal(lim).v);

  p->setMemoryLimit(std::nullopt);
  EXPECT_EQ(p->heapGoal(lim).v, kMaxInt64);
}

TEST(Pacer, MemoryLimitGoalSubtractsNonHeapOverageAndHeadroom) {
  auto p = makePacer("go1.19", 100, Bytes(100 * kMiB));
  p->commit(cycle(60 * kMiB));  // GOGC goal 120 MiB: the limit goal is the smaller one
  // Under the limit: nonHeap = 80 - 10 - 50 = 20 MiB; goal = 100 - 20 - 1 = 79 MiB.
  EXPECT_EQ(p->heapGoal(PacerLimitInputs{Bytes(80 * kMiB), Bytes(10 * kMiB), Bytes(50 * kMiB)}).v, 79 * kMiB);
  // Over the limit by 10 MiB: nonHeap = 110 - 5 - 90 = 15, overage 10: 100 - 25 - 1 = 74 MiB.
  EXPECT_EQ(p->heapGoal(PacerLimitInputs{Bytes(110 * kMiB), Bytes(5 * kMiB), Bytes(90 * kMiB)}).v, 74 * kMiB);
  // Floored at heapMarked: nonHeap 45 -> 54 MiB < 60 MiB marked; trigger = goal.
  const PacerLimitInputs tight{Bytes(100 * kMiB), Bytes(0), Bytes(55 * kMiB)};
  EXPECT_EQ(p->heapGoal(tight).v, 60 * kMiB);
  EXPECT_EQ(p->trigger(tight).v, 60 * kMiB);
  // Non-heap plus overage at or above the limit: heapMarked.
  EXPECT_EQ(p->heapGoal(PacerLimitInputs{Bytes(150 * kMiB), Bytes(0), Bytes(100 * kMiB)}).v, 60 * kMiB);
  // A generous limit: the GOGC goal wins.
  p->setMemoryLimit(Bytes(int64_t{1} << 40));
  EXPECT_EQ(p->heapGoal(PacerLimitInputs{Bytes(80 * kMiB), Bytes(10 * kMiB), Bytes(50 * kMiB)}).v, 120 * kMiB);
}

TEST(Pacer, MemoryLimitGoalHeadroomWithSmallLimits) {
  // memoryLimitHeapGoal (fixed 1 MiB headroom): "Be careful about small limits": if
  // goal < headroom or goal - headroom < headroom, goal = headroom; then floored at heapMarked.
  auto p = makePacer("go1.19", -1, Bytes(3 * kMiB));
  // nonHeap = 2 MiB - 0 - 512 KiB = 1.5 MiB -> limit - nonHeap = 1.5 MiB -> goal 1 MiB.
  const PacerLimitInputs lim{Bytes(2 * kMiB), Bytes(0), Bytes(kMiB / 2)};
  if (p->heapGoal(lim).v != kMiB)
    FAIL() << "regression: memory-limit goal with 1.5 MiB left under the limit is "
                 << p->heapGoal(lim).v
                 << " B; Go 1.19 memoryLimitHeapGoal sets goal = memoryLimitHeapGoalHeadroom "
                    "(1 MiB) when goal - headroom < headroom, the simulator subtracts the "
                    "headroom anyway (goal > headroom ? goal - headroom : 0).";
  EXPECT_EQ(p->heapGoal(lim).v, kMiB);
}

TEST(Pacer, TriggerStaysWithinSeventyAndNinetyFivePercentOfTheRunway) {
  auto p = makePacer("go1.19", 100, std::nullopt);
  const int64_t marked = 40 * kMiB, scan = 2 * kMiB;
  // One cycle's cons/mark: (heapLive - triggered) * u / (scanWork * (1 - u)) =
  // 3 MiB * 0.25 / (1 MiB * 0.75) = 1; the PI controller's first output is kp * 1 = 0.9.
  p->endCycle(PacerEndCycle{Bytes(43 * kMiB), Bytes(40 * kMiB), static_cast<double>(kMiB), 0.25, 0.0});
  p->commit(cycle(marked, scan));
  const int64_t goal = 2 * marked;
  ASSERT_EQ(p->heapGoal(kNoLimitInputs).v, goal);
  // runway = consMark * (1 - 0.25) / 0.25 * scan = 2.7 * 2 MiB = 5662310.4 B.
  const int64_t t = p->trigger(kNoLimitInputs).v;
  EXPECT_NEAR(static_cast<double>(t), static_cast<double>(goal - 5662310), 1.0);
  EXPECT_GE(t, minTriggerOf(marked, goal));
  EXPECT_LE(t, maxTriggerOf(marked, goal));

  // A very large cons/mark: the runway exceeds the distance; the trigger is clamped to
  // minTrigger (~0.70 of the way from heapMarked to the goal).
  auto q = makePacer("go1.19", 100, std::nullopt);
  q->endCycle(PacerEndCycle{Bytes(140 * kMiB), Bytes(40 * kMiB), static_cast<double>(kMiB), 0.25, 0.0});
  q->commit(cycle(marked, scan));
  EXPECT_EQ(q->trigger(kNoLimitInputs).v, minTriggerOf(marked, goal));

  // No runway at all (consMark 0): maxTrigger (~0.95).
  auto z = makePacer("go1.19", 100, std::nullopt);
  z->commit(cycle(marked, scan));
  EXPECT_EQ(z->trigger(kNoLimitInputs).v, maxTriggerOf(marked, goal));
}

TEST(Pacer, IdleMarkWorkersCountInConsMark) {
  // endCycle (Go 1.19 and 1.21): currentConsMark = (heapLive - triggered) x (utilization +
  // idleUtilization) / (scanWork x (1 - utilization)): the idle mark workers' CPU is part of
  // what the mark cost. 1 MiB allocated over 1 MiB of scan work by a mark whose idle workers ran
  // at 0.5 beside the 0.25 background workers is cons/mark 1 MiB x 0.75 / (1 MiB x 0.75) = 1,
  // as 3 MiB allocated without idle workers is: the same runway, the same trigger.
  for (const char* name : {"go1.19", "go1.21"}) {
    SCOPED_TRACE(name);
    auto withIdle = makePacer(name, 100, std::nullopt);
    withIdle->endCycle(PacerEndCycle{Bytes(41 * kMiB), Bytes(40 * kMiB), static_cast<double>(kMiB), 0.25, 0.5});
    withIdle->commit(cycle(40 * kMiB, 2 * kMiB));
    auto without = makePacer(name, 100, std::nullopt);
    without->endCycle(PacerEndCycle{Bytes(43 * kMiB), Bytes(40 * kMiB), static_cast<double>(kMiB), 0.25, 0.0});
    without->commit(cycle(40 * kMiB, 2 * kMiB));
    const int64_t t = withIdle->trigger(kNoLimitInputs).v;
    EXPECT_EQ(t, without->trigger(kNoLimitInputs).v);
    // Not clamped: the runway (cons/mark x 3 x 2 MiB of scan) sets it.
    EXPECT_GT(t, minTriggerOf(40 * kMiB, 80 * kMiB));
    EXPECT_LT(t, maxTriggerOf(40 * kMiB, 80 * kMiB));
  }
}

TEST(Pacer, MaxTriggerIsRaisedToGoalMinusFourMiBForBigHeaps) {
  auto p = makePacer("go1.19", 100, std::nullopt);
  p->commit(cycle(200 * kMiB));
  const int64_t goal = 400 * kMiB;
  ASSERT_EQ(p->heapGoal(kNoLimitInputs).v, goal);
  ASSERT_LT(maxTriggerOf(200 * kMiB, goal), goal - 4 * kMiB);
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, goal - 4 * kMiB);
  // A small heap keeps 61/64: 2 MiB marked -> goal 4 MiB (heapMinimum) is not > 4 MiB.
  auto q = makePacer("go1.19", 100, std::nullopt);
  q->commit(cycle(2 * kMiB));
  EXPECT_EQ(q->trigger(kNoLimitInputs).v, maxTriggerOf(2 * kMiB, 4 * kMiB));
}

TEST(Pacer, UnfinishedSweepKeepsTheTriggerOneMiBAboveHeapLive) {
  auto p = makePacer("go1.19", 100, std::nullopt);
  PacerCycleInputs in = cycle(10 * kMiB);
  in.sweepDone = false;
  in.heapLive = Bytes(19 * kMiB + kMiB / 2);  // sweepDistMinTrigger = 20.5 MiB > GOGC goal
  p->commit(in);
  const int64_t sweepDist = 19 * kMiB + kMiB / 2 + kMiB;
  EXPECT_EQ(p->heapGoal(kNoLimitInputs).v, sweepDist);
  EXPECT_EQ(p->trigger(kNoLimitInputs).v, sweepDist);
}

TEST(Pacer, TriggerNeverExceedsTheGoalInTheMemoryLimitRegime) {
  // heapGoalInternal ignores sweepDistMinTrigger when the memory-limit goal is the smaller
  // one ("we need to ensure we don't propagate it to the trigger, because it could cause a
  // violation of the invariant that the trigger < goal"); trigger() throws if trigger > goal.
  auto p = makePacer("go1.19", 100, Bytes(64 * kMiB));
  PacerCycleInputs in = cycle(30 * kMiB);
  in.sweepDone = false;  // sweepDistMinTrigger = 31 MiB
  p->commit(in);
  // nonHeap = 60 - 0 - 27.5 = 32.5 MiB -> memory-limit goal = 64 - 32.5 - 1 = 30.5 MiB.
  const PacerLimitInputs lim{Bytes(60 * kMiB), Bytes(0), Bytes(27 * kMiB + kMiB / 2)};
  const int64_t goal = 30 * kMiB + kMiB / 2;
  ASSERT_EQ(p->heapGoal(lim).v, goal);
  const int64_t trigger = p->trigger(lim).v;
  if (trigger > goal)
    FAIL() << "regression: trigger " << trigger << " > heap goal " << goal
                 << " in the memory-limit regime: Go119Pacer::trigger applies "
                    "sweepDistMinTrigger_ (heapLive + 1 MiB) to minTrigger even when the "
                    "memory-limit goal is in force; Go 1.19 does not (and would throw "
                    "\"produced a trigger greater than the heap goal\").";
  EXPECT_EQ(trigger, maxTriggerOf(30 * kMiB, goal));
}

TEST(Pacer, UnknownPacerNameIsRejected) {
  EXPECT_THROW(makePacer("go1.5", 100, std::nullopt), std::invalid_argument);
  EXPECT_EQ(goRelease("1.19").pacer, "go1.19");
  EXPECT_EQ(goRelease("1.21").pacer, "go1.21");
}

}  // namespace
}  // namespace gomemsim
