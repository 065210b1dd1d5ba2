// Unit tests for background-1.19 (Go 1.19 mgcscavenge.go gcPaceScavenger,
// scavengerState.run/sleep, mheap.go allocSpan; the expected numbers are computed here from
// those formulas), for the registry (names, Go versions, parameters), and a contract every
// registered policy keeps (parameterised over the registry). The other policies' own tests are
// in sysmon5min_test.cc, background_test.cc and background121_test.cc; the runtime-level
// contract in scavenger_contract_test.cc.
#include "scavenger/scavenger.h"

#include "scavenger/scavenger_test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace gomemsim {
namespace {

using namespace testing_support;

// gcPaceScavenger's gcPercentGoal for goal 30 MiB, last goal 20 MiB, lastHeapInUse
// 10 MiB + 12345: uint64(10498105 * 1.5) = 15747157; += 15747157/10 = 17321872; rounded up
// to 4 KiB = 17321984.
constexpr int64_t kLastInUse = 10 * kMiB + 12345;
constexpr int64_t kExpectedGoal = 17321984;

// Background-1.19 paced with that goal, the heap retaining 100 MiB.
std::unique_ptr<ScavengerPolicy> pacedBackground(int64_t retainedAtPacing = 100 * kMiB) {
  auto s = makeScavenger("background-1.19");
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, retainedAtPacing));
  return s;
}

// Heap-growth scavenging for a given goal: min(growth, retained + growth - goal). With the
// retained heap below the goal and growth large, eagerBytes reveals the goal exactly.
int64_t eagerFor(ScavengerPolicy& s, int64_t growth, int64_t retained) {
  return eagerBytes(s, Bytes(growth), Bytes(0), view(retained, 0), std::nullopt);
}

TEST(Scavenger, NoGoalBeforeTheFirstGc) {
  auto s = makeScavenger("background-1.19");
  EXPECT_EQ(s->name(), "background-1.19");
  s->paced(pacing(4 * kMiB, 0, 4 * kMiB, 100 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  EXPECT_FALSE(s->nextWake().has_value());
  EXPECT_EQ(eagerFor(*s, 64 * kMiB, 100 * kMiB), 0);
  EXPECT_EQ(s->runBatch(SimTime(Seconds(2).v), view(100 * kMiB, 90 * kMiB)).bytes.v, 0);
}

TEST(Scavenger, GcPercentGoalIsLastInUseScaledByTheGoalRatioPlusTenPercent) {
  auto s = pacedBackground();
  // retained 10 MiB < goal; growth 16 MiB: 10 MiB + 16 MiB - goal < growth.
  EXPECT_EQ(eagerFor(*s, 16 * kMiB, 10 * kMiB), 10 * kMiB + 16 * kMiB - kExpectedGoal);
  // Growth smaller than the overage: all of the growth.
  EXPECT_EQ(eagerFor(*s, 4 * kMiB, 20 * kMiB), 4 * kMiB);
  // Retained + growth at the goal: nothing.
  EXPECT_EQ(eagerFor(*s, kExpectedGoal - 10 * kMiB, 10 * kMiB), 0);
  EXPECT_EQ(eagerFor(*s, kExpectedGoal - 10 * kMiB + 4096, 10 * kMiB), 4096);
  // No growth: no heap-growth scavenging.
  EXPECT_EQ(eagerFor(*s, 0, 100 * kMiB), 0);
}

TEST(Scavenger, GoalIsOffWhenRetainedIsWithinOnePhysicalPage) {
  // gcPaceScavenger: off if retained <= goal || retained - goal < physPageSize.
  auto within = pacedBackground(kExpectedGoal + 4095);
  EXPECT_EQ(eagerFor(*within, 16 * kMiB, 10 * kMiB), 0);
  auto below = pacedBackground(kExpectedGoal);
  EXPECT_EQ(eagerFor(*below, 16 * kMiB, 10 * kMiB), 0);
  // One whole physical page over: the goal is kept.
  auto onePage = pacedBackground(kExpectedGoal + 4096);
  const int64_t eager = eagerFor(*onePage, 16 * kMiB, 10 * kMiB);
  if (eager == 0)
    FAIL() << "regression: with heapRetained exactly goal + physPageSize at pacing, "
                    "Background119::paced disables the goal (retained <= goal + 4096); Go 1.19 "
                    "keeps it (it disables only if retained - goal < physPageSize).";
  EXPECT_EQ(eager, 10 * kMiB + 16 * kMiB - kExpectedGoal);
}

TEST(Scavenger, EagerMemoryLimitScavengingAndTheLargerOfTheTwo) {
  auto s = makeScavenger("background-1.19");
  s->paced(pacing(4 * kMiB, 0, 0, 0));  // no gcPercent goal yet
  // mappedReady + scav > limit: release the excess.
  EXPECT_EQ(eagerBytes(*s, Bytes(0), Bytes(4 * kMiB), view(50 * kMiB, 10 * kMiB, 99 * kMiB), Bytes(100 * kMiB)),
            3 * kMiB);
  EXPECT_EQ(eagerBytes(*s, Bytes(0), Bytes(kMiB), view(50 * kMiB, 10 * kMiB, 99 * kMiB), Bytes(100 * kMiB)), 0);
  // Both reasons: the larger.
  auto g = pacedBackground();
  EXPECT_EQ(eagerBytes(*g, Bytes(16 * kMiB), Bytes(16 * kMiB), view(10 * kMiB, 0, 90 * kMiB), Bytes(100 * kMiB)),
            10 * kMiB + 16 * kMiB - kExpectedGoal);  // limit excess 6 MiB < growth excess
  EXPECT_EQ(eagerBytes(*g, Bytes(16 * kMiB), Bytes(16 * kMiB), view(10 * kMiB, 0, 99 * kMiB), Bytes(100 * kMiB)),
            15 * kMiB);  // limit excess 15 MiB > growth excess
}

TEST(Scavenger, MemoryLimitGoalIsNinetyFiveTimesTheLimit) {
  // Go 1.19 gcPaceScavenger: memoryLimitGoal = limit * (100 - reduceExtraPercent), i.e. 95x
  // (golang/go#62449): the background scavenger never works for a realistic limit.
  auto s = makeScavenger("background-1.19");
  s->paced(pacing(4 * kMiB, 0, 0, 0, Bytes(64 * kMiB), 200 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  if (auto w = s->nextWake()) {
    // 200 MiB mapped against a 64 MiB limit: still nothing to do, the worker parks.
    EXPECT_EQ(s->runBatch(*w, view(150 * kMiB, 100 * kMiB, 200 * kMiB)).bytes.v, 0);
  }
  EXPECT_FALSE(s->nextWake().has_value());
  // The 95x goal is exact: with a 1 MiB limit, mappedReady 96 MiB is 1 MiB over it.
  auto t = makeScavenger("background-1.19");
  t->paced(pacing(4 * kMiB, 0, 0, 0, Bytes(kMiB), 96 * kMiB));
  t->sweepDone(SimTime(0), kTestSysmonDelay);
  ASSERT_TRUE(t->nextWake().has_value());
  EXPECT_EQ(t->runBatch(*t->nextWake(), view(96 * kMiB, 50 * kMiB, 96 * kMiB)).bytes.v, kMiB);
  EXPECT_EQ(t->runBatch(*t->nextWake(), view(95 * kMiB, 50 * kMiB, 95 * kMiB)).bytes.v, 0);
}

TEST(Scavenger, WakesWhenSysmonLooksAndAsksForQuantaUntilOneMillisecond) {
  auto s = pacedBackground();
  EXPECT_FALSE(s->nextWake().has_value()) << "parked until sweeping is done";
  const SimTime done(Seconds(10).v);
  s->sweepDone(done, Milliseconds(10));
  ASSERT_TRUE(s->nextWake().has_value());
  EXPECT_EQ(*s->nextWake(), done + Milliseconds(10));
  // A later sweepDone does not postpone an earlier wake.
  s->sweepDone(done + Seconds(1), Milliseconds(10));
  EXPECT_EQ(*s->nextWake(), done + Milliseconds(10));
  // scavengerState.run: 64 KiB calls until >= 1 ms of work, never past the goal, never more
  // than the free pages.
  const ScavengeRequest r = s->runBatch(*s->nextWake(), view(100 * kMiB, 95 * kMiB));
  EXPECT_EQ(r.quantum.v, 65536);
  EXPECT_EQ(r.minWork.v, 1000000);
  EXPECT_EQ(r.bytes.v, 100 * kMiB - kExpectedGoal);
  EXPECT_EQ(s->runBatch(*s->nextWake(), view(100 * kMiB, 80 * kMiB)).bytes.v, 80 * kMiB);
  EXPECT_EQ(s->runBatch(*s->nextWake(), view(kExpectedGoal + 20480, 80 * kMiB)).bytes.v, 20480);
  EXPECT_EQ(s->runBatch(*s->nextWake(), view(100 * kMiB, 100 * 1024)).bytes.v, 100 * 1024);
}

// One batch of `work` reported to the worker at `t`; returns how long it then sleeps.
double sleepAfter(ScavengerPolicy& s, SimTime t, Duration work, int64_t procs) {
  s.worked(t + work, Bytes(8 * kMiB), work, view(100 * kMiB, 80 * kMiB, 0, procs));
  return static_cast<double>((*s.nextWake() - (t + work)).v);
}

TEST(Scavenger, SleepRatioStartsAtOneThousandthThenTheControllerWindsUp) {
  // scavengerState.sleep with startingScavSleepRatio = 0.001: 1 ms of work sleeps 1 s. The PI
  // controller (kp 0.3375, ti 3.2e6, tt 1e9) then sees cpuFraction = 1 ms / (1001 ms x 2) and
  // sets the ratio to kp x (0.01 - that) = 0.0032378 (the integral was 0): 308.85 ms of sleep.
  // Its integral is now kp x 1.001e9 / 3.2e6 x the error (~1.0), so the next ratio is ~1: the
  // worker sleeps about as long as it works while the wind-up lasts.
  auto s = pacedBackground();
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  const SimTime t = *s->nextWake();
  const Duration ms(1000000);
  EXPECT_NEAR(sleepAfter(*s, t, ms, 2), 1e9, 1.0);
  const double err1 = 0.01 - 1e6 / (1001e6 * 2);
  EXPECT_NEAR(sleepAfter(*s, t, ms, 2), 1e6 / (0.3375 * err1), 1e3);
  const double third = sleepAfter(*s, t, ms, 2);
  EXPECT_GT(third, 0.5e6);
  EXPECT_LT(third, 2e6);
}

TEST(Scavenger, ControllerSettlesAtOnePercentOfGomaxprocs) {
  for (const int64_t procs : {1, 2, 8}) {
    SCOPED_TRACE(procs);
    auto s = pacedBackground();
    s->sweepDone(SimTime(0), kTestSysmonDelay);
    SimTime t = *s->nextWake();
    // Batches of 1 ms for 200 s of simulated time; the last 100 s use 1 % of all CPUs.
    double work = 0, span = 0;
    const SimTime settled = t + Seconds(100);
    while (t < SimTime(Seconds(200).v)) {
      const double sleep = sleepAfter(*s, t, Duration(1000000), procs);
      if (t >= settled) {
        work += 1e6;
        span += 1e6 + sleep;
      }
      t = *s->nextWake();
    }
    // With one P the controller settles into a small limit cycle around 1.05 %.
    EXPECT_NEAR(work / (span * static_cast<double>(procs)), 0.01, 0.0007);
  }
}

TEST(Scavenger, LessThanOneMillisecondOfWorkIsCountedAsOne) {
  auto a = pacedBackground();
  auto b = pacedBackground();
  a->sweepDone(SimTime(0), kTestSysmonDelay);
  b->sweepDone(SimTime(0), kTestSysmonDelay);
  const SimTime t = *a->nextWake();
  EXPECT_EQ(sleepAfter(*a, t, Microseconds(10), 2), sleepAfter(*b, t, Duration(1000000), 2));
}

TEST(Scavenger, BackgroundReleasesAboutOnePercentOfTwoCpusWorthOnceSettled) {
  // Drive the worker the way the runtime does on a 10 GiB heap: release what it asks for in
  // quanta, charge kTestReleaseNsPerByte, report, sleep. Once the controller has settled (it
  // still swings: 10 s windows vary 60-100 MiB/s), 1 % of 2 CPUs at 0.238 ns/B is
  // 0.02 / 0.238e-9 B/s = 84,033,613 B/s = 80.1 MiB/s on average.
  const int64_t pages = 10 * 1024 * kMiB / kPageSize;
  SmallHeap h(Pages(pages), false);
  h.freeAt(SimTime(0), h.alloc(pages), pages);  // free, unscavenged
  auto s = makeScavenger("background-1.19");
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, 10 * 1024 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  int64_t after = 0;
  h.runWorkerUntil(*s, SimTime(Seconds(60).v));
  h.runWorkerUntil(*s, SimTime(Seconds(100).v), [&](SimTime, int64_t got) { after += got; });
  ASSERT_GT(h.pages.freeRetained().v, 0) << "the heap must not run out";
  const double rate = static_cast<double>(after * kPageSize) / 40.0 / static_cast<double>(kMiB);
  EXPECT_NEAR(rate, 80.1, 4.0);
}

TEST(Scavenger, ParksWhenTheGoalIsMet) {
  auto s = pacedBackground();
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  ASSERT_TRUE(s->nextWake().has_value());
  EXPECT_EQ(s->runBatch(*s->nextWake(), view(kExpectedGoal, 80 * kMiB)).bytes.v, 0);
  EXPECT_FALSE(s->nextWake().has_value());
  // Nothing could be released: park as well.
  auto t = pacedBackground();
  t->sweepDone(SimTime(0), kTestSysmonDelay);
  t->worked(SimTime(Seconds(2).v), Bytes(0), Duration(0), view(100 * kMiB, 80 * kMiB));
  EXPECT_FALSE(t->nextWake().has_value());
}

TEST(Scavenger, NoneNeverAsksToRelease) {
  auto s = makeScavenger("none");
  EXPECT_EQ(s->name(), "none");
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, 1024 * kMiB, Bytes(kMiB), 1024 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  EXPECT_FALSE(s->nextWake().has_value());
  EXPECT_EQ(eagerBytes(*s, Bytes(64 * kMiB), Bytes(64 * kMiB), view(1024 * kMiB, 512 * kMiB, 1024 * kMiB), Bytes(kMiB)), 0);
  EXPECT_EQ(s->runBatch(SimTime(Seconds(5).v), view(1024 * kMiB, 512 * kMiB, 1024 * kMiB)).bytes.v, 0);
}

TEST(Scavenger, UnknownPolicyIsRejected) {
  EXPECT_THROW(makeScavenger("sysmon-5min-typo"), std::invalid_argument);
  EXPECT_EQ(goRelease("1.19").scavenger, "background-1.19");
}

// --- background-1.19's version quirk and parameters --------------------------------------

TEST(Scavenger, MemoryLimitGoalBugFollowsTheGoVersion) {
  // golang/go#62449: limit x (100 - 5) in Go 1.19-1.21, limit x (1 - 5/100) from Go 1.22.
  expectMemoryLimitGoalBugFollowsTheGoVersion("background-1.19", {"1.19", "1.20", "1.21", "1.22"});
}

TEST(Scavenger, ParamsRetainExtraCpuFractionAndIdleThreshold) {
  ScavengerParams p;
  p.retainExtra = 0.25;  // goal 15747157 + 15747157/4 = 19683946 -> 19685376 (4 KiB)
  p.cpuFraction = 0.05;
  p.idleThreshold = Seconds(300);
  auto s = makeScavenger("background-1.19", p);
  EXPECT_TRUE(s->needsFreeTimes());
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, 100 * kMiB));
  EXPECT_EQ(eagerFor(*s, 32 * kMiB, 10 * kMiB), 10 * kMiB + 32 * kMiB - 19685376);
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  const SimTime at(Seconds(1000).v);
  const ScavengeRequest r = s->runBatch(at, view(100 * kMiB, 80 * kMiB, 0, 2, at));
  ASSERT_TRUE(r.select.freedBefore.has_value());
  EXPECT_EQ(*r.select.freedBefore, SimTime(Seconds(700).v)) << "only pages free for over 5 minutes";
  // The controller's setpoint is 5 % of the CPUs: once settled, 1 ms batches use 5 % of 2.
  SimTime t = at;
  double work = 0, span = 0;
  while (t < at + Seconds(200)) {
    s->worked(t + Milliseconds(1), Bytes(8 * kMiB), Milliseconds(1), view(100 * kMiB, 80 * kMiB));
    const SimTime next = *s->nextWake();
    if (t >= at + Seconds(100)) {
      work += 1e6;
      span += static_cast<double>((next - t).v);
    }
    t = next;
  }
  EXPECT_NEAR(work / (span * 2), 0.05, 0.002);
  EXPECT_FALSE(makeScavenger("background-1.19")->needsFreeTimes());
}

// --- the registry --------------------------------------------------------------------------

TEST(ScavengerRegistry, GoVersionsMapToThePolicyTheyShipped) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"1.11", "sysmon-5min"},     {"1.12", "sysmon-5min"},     {"1.13", "background"},
      {"1.14", "background"},      {"1.17", "background"},      {"1.18", "background"},
      {"1.19", "background-1.19"}, {"1.20", "background-1.19"}, {"1.21", "background-1.21"},
      {"1.22", "background-1.21"}};
  for (const auto& [go, policy] : expected) EXPECT_EQ(goRelease(go).scavenger, policy) << go;
}

TEST(ScavengerRegistry, EveryNameBuildsThePolicyOfThatName) {
  EXPECT_EQ(scavengerNames(),
            (std::vector<std::string>{"sysmon-5min", "background", "background-1.19", "background-1.21", "none"}));
  EXPECT_EQ(std::string(knownScavengers()), "sysmon-5min, background, background-1.19, background-1.21, none");
  for (const std::string& n : scavengerNames()) EXPECT_EQ(makeScavenger(n)->name(), n);
}

TEST(ScavengerRegistry, AParameterThePolicyIgnoresIsAnErrorNamingThePolicy) {
  ScavengerParams idle;
  idle.idleThreshold = Seconds(300);
  ScavengerParams period;
  period.period = Seconds(150);
  ScavengerParams retain;
  retain.retainExtra = 0.1;
  ScavengerParams cpu;
  cpu.cpuFraction = 0.01;
  struct Case {
    std::string policy;
    ScavengerParams params;
    std::string param;  // empty = accepted
  };
  const std::vector<Case> cases = {
      {"sysmon-5min", idle, ""},        {"sysmon-5min", period, ""},
      {"sysmon-5min", retain, "retain_extra"}, {"sysmon-5min", cpu, "cpu_fraction"},
      {"background", idle, ""},         {"background", retain, ""},
      {"background", cpu, ""},          {"background", period, "period"},
      {"background-1.19", period, "period"}, {"background-1.21", period, "period"},
      {"background-1.21", retain, ""},  {"none", idle, "idle_threshold"},
      {"none", cpu, "cpu_fraction"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.policy + " " + c.param);
    if (c.param.empty()) {
      EXPECT_NO_THROW(checkScavengerParams(c.policy, c.params));
      EXPECT_NO_THROW(makeScavenger(c.policy, c.params));
      continue;
    }
    try {
      checkScavengerParams(c.policy, c.params);
      ADD_FAILURE() << "accepted";
    } catch (const ScavengerParamError& e) {
      EXPECT_EQ(e.param(), c.param);
      EXPECT_THAT(e.what(), ::testing::HasSubstr("'" + c.policy + "'"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr(c.param));
    }
    EXPECT_THROW(makeScavenger(c.policy, c.params), ScavengerParamError);
  }
  EXPECT_THROW(checkScavengerParams("nosuch", ScavengerParams{}), ScavengerParamError) << "an unknown policy";
  EXPECT_THROW(checkScavengerParams("nosuch", idle), ScavengerParamError);
  EXPECT_EQ(scavengerParamsHonoured("sysmon-5min"), (std::vector<std::string>{"idle_threshold", "period"}));
  EXPECT_TRUE(scavengerParamsHonoured("none").empty());
}

// --- The contract every policy keeps -------------------------------------------------------

class ScavengerContract : public ::testing::TestWithParam<std::string> {};

TEST_P(ScavengerContract, EagerNeverAsksForMoreThanTheHeapCouldReleaseWithinGoals) {
  auto s = makeScavenger(GetParam());
  // Before any GC, and after a GC whose goal is far above the heap, with a generous limit.
  for (const bool afterGc : {false, true}) {
    SCOPED_TRACE(afterGc);
    if (afterGc) s->paced(pacing(1024 * kMiB, 512 * kMiB, 256 * kMiB, 64 * kMiB, Bytes(4096 * kMiB), 80 * kMiB));
    else s->paced(pacing(4 * kMiB, 0, 0, 8 * kMiB, Bytes(4096 * kMiB), 16 * kMiB));
    for (const int64_t heapFree : {int64_t{0}, 2 * kMiB}) {
      for (const int64_t growth : {int64_t{0}, 4 * kMiB, 64 * kMiB}) {
        const int64_t e =
            eagerBytes(*s, Bytes(growth), Bytes(growth + kPageSize), view(64 * kMiB, heapFree, 80 * kMiB), Bytes(4096 * kMiB));
        EXPECT_GE(e, 0);
        EXPECT_LE(e, heapFree) << "growth " << growth;
      }
    }
  }
}

TEST_P(ScavengerContract, NextWakeIsNeverInThePastAfterWorked) {
  auto s = makeScavenger(GetParam());
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, 100 * kMiB));
  s->sweepDone(SimTime(Seconds(1).v), kTestSysmonDelay);
  SimTime now(Seconds(3).v);
  for (int i = 0; i < 20; ++i) {
    const ScavengerView v = view(100 * kMiB - i * 4 * kMiB, 60 * kMiB - i * 3 * kMiB);
    const Bytes want = s->runBatch(now, v).bytes;
    const Bytes got(std::min(want.v, v.heapFree.v));
    const Duration cpu(static_cast<int64_t>(static_cast<double>(got.v) * kTestReleaseNsPerByte));
    now = now + cpu;
    s->worked(now, got, cpu, v);
    const auto w = s->nextWake();
    if (w) {
      EXPECT_GE(*w, now);
    }
    now = w ? *w : now + Seconds(1);
  }
  // Reporting nothing released.
  s->worked(now, Bytes(0), Duration(0), view(100 * kMiB, 60 * kMiB));
  if (const auto w = s->nextWake()) {
    EXPECT_GE(*w, now);
  }
}

TEST_P(ScavengerContract, RunBatchAsksForNothingWithoutFreePages) {
  auto s = makeScavenger(GetParam());
  s->paced(pacing(30 * kMiB, 20 * kMiB, kLastInUse, 100 * kMiB, Bytes(kMiB), 200 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  const SimTime at = s->nextWake().value_or(SimTime(Seconds(2).v));
  EXPECT_EQ(s->runBatch(at, view(100 * kMiB, 0, 200 * kMiB)).bytes.v, 0);
}

INSTANTIATE_TEST_SUITE_P(ScavengerPolicies, ScavengerContract, ::testing::ValuesIn(scavengerNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace gomemsim
