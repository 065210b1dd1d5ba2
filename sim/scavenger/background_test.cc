// Unit tests for "background" (Go 1.13-1.18 as go1.17 mgcscavenge.go gcPaceScavenger /
// bgscavenge and mheap.go grow did it): the goal, where it stops, its pace of about 1 % of one
// CPU whatever GOMAXPROCS is, and heap-growth scavenging.
#include <gtest/gtest.h>

#include "scavenger/scavenger.h"
#include "scavenger/scavenger_test_support.h"

namespace gomemsim {
namespace {

using namespace testing_support;

// heapGoal = lastHeapGoal = 100 MiB and last_heap_inuse = 100 MiB: goal = 110 MiB exactly.
constexpr int64_t kGoal = 110 * kMiB;

std::unique_ptr<ScavengerPolicy> paced(int64_t retained, ScavengerParams params = {}) {
  auto s = makeScavenger("background", params);
  s->paced(pacing(100 * kMiB, 100 * kMiB, 100 * kMiB, retained));
  return s;
}

TEST(Background, NoGoalBeforeTheFirstGcAndNoneUnderTheGoal) {
  auto s = makeScavenger("background");
  s->paced(pacing(4 * kMiB, 0, 4 * kMiB, 100 * kMiB));
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  EXPECT_FALSE(s->nextWake().has_value());
  auto under = paced(kGoal + 4095);  // within a physical page of the goal: off
  under->sweepDone(SimTime(0), kTestSysmonDelay);
  EXPECT_FALSE(under->nextWake().has_value());
}

TEST(Background, StopsAtTenPercentOverTheScaledInUseHeap) {
  // 300 MiB retained, 200 MiB of it free: the worker releases until retained = 110 MiB.
  auto s = paced(300 * kMiB);
  s->sweepDone(SimTime(Seconds(10).v), kTestSysmonDelay);
  ASSERT_EQ(*s->nextWake(), SimTime(Seconds(12).v)) << "readyForScavenger, then sysmon's wake";
  int64_t retained = 300 * kMiB, free = 200 * kMiB, batches = 0;
  SimTime now;
  while (s->nextWake()) {
    now = *s->nextWake();
    const int64_t want = s->runBatch(now, view(retained, free)).bytes.v;
    if (want == 0) break;
    EXPECT_LE(want, 2 * kMiB) << "one huge page per iteration";
    retained -= want;
    free -= want;
    ++batches;
    const Duration cpu(static_cast<int64_t>(static_cast<double>(want) * kTestReleaseNsPerByte));
    s->worked(now + cpu, Bytes(want), cpu, view(retained, free));
  }
  EXPECT_EQ(retained, kGoal);
  EXPECT_EQ(batches, 95);
  EXPECT_FALSE(s->nextWake().has_value()) << "parked at the goal";
  // 2 MiB takes 499 us at kTestReleaseNsPerByte, then it sleeps 100x that: ~40 MiB/s. The 96th
  // wake-up finds the goal met.
  EXPECT_NEAR(toSeconds(now - SimTime(Seconds(12).v)), 95 * 2 * kMiB * kTestReleaseNsPerByte * 101 / 1e9, 1e-5);
}

TEST(Background, PaceIsOnePercentOfOneCpuWhateverGomaxprocs) {
  for (const int64_t procs : {1, 2, 8}) {
    SCOPED_TRACE(procs);
    auto s = paced(300 * kMiB);
    s->sweepDone(SimTime(0), kTestSysmonDelay);
    const SimTime t = *s->nextWake();
    s->worked(t + Milliseconds(1), MiB(2), Milliseconds(1), view(300 * kMiB, 200 * kMiB, 0, procs));
    EXPECT_NEAR(static_cast<double>(s->nextWake()->ns), static_cast<double>((t + Milliseconds(101)).ns), 1)
        << "sleep = crit / 1 %";
    // crit is capped at maxCrit = 10 ms.
    s->worked(t + Milliseconds(50), MiB(200), Milliseconds(50), view(300 * kMiB, 200 * kMiB, 0, procs));
    EXPECT_NEAR(static_cast<double>(s->nextWake()->ns), static_cast<double>((t + Milliseconds(1050)).ns), 1);
  }
}

TEST(Background, HeapGrowthReleasesTheOverageAndThereIsNoMemoryLimit) {
  auto s = paced(300 * kMiB);
  const auto grow = [&](int64_t growth, int64_t retained, std::optional<Bytes> limit = std::nullopt) {
    return s->eager(SpanAllocation{Bytes(growth), Bytes(growth), Bytes(0), Bytes(kPageSize)},
                    view(retained, 50 * kMiB, retained), limit).bytes.v;
  };
  EXPECT_EQ(grow(4 * kMiB, 100 * kMiB), 0);
  EXPECT_EQ(grow(16 * kMiB, 100 * kMiB), 6 * kMiB);
  EXPECT_EQ(grow(4 * kMiB, 200 * kMiB), 4 * kMiB);
  EXPECT_EQ(grow(0, 200 * kMiB, MiB(10)), 0) << "GOMEMLIMIT arrived in Go 1.19";
}

TEST(Background, ParamsRetainExtraAndCpuFraction) {
  ScavengerParams p;
  p.retainExtra = 0.5;
  p.cpuFraction = 0.1;
  auto s = paced(300 * kMiB, p);
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  const SimTime t = *s->nextWake();
  EXPECT_EQ(s->runBatch(t, view(150 * kMiB + kPageSize, 100 * kMiB)).bytes.v, kPageSize) << "goal 150 MiB";
  s->worked(t + Milliseconds(1), MiB(2), Milliseconds(1), view(300 * kMiB, 200 * kMiB));
  EXPECT_NEAR(static_cast<double>(s->nextWake()->ns), static_cast<double>((t + Milliseconds(11)).ns), 1);
}

}  // namespace
}  // namespace gomemsim
