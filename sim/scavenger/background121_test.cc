// Unit tests for background-1.21 (≈go1.21 / ≈go1.22 mgcscavenge.go scavengeIndex and
// scavChunkData, mheap.go allocSpan, mgc.go gcMarkTermination nextGen): its requests are
// generational except for the memory limit, and carried out on a small heap it skips a chunk
// that was dense in this GC cycle and pages freed since the cycle began, both of which
// background-1.19 takes.
#include <gtest/gtest.h>

#include "scavenger/scavenger.h"
#include "scavenger/scavenger_test_support.h"

namespace gomemsim {
namespace {

using namespace testing_support;

// Three fully allocated chunks. In cycle 0 the program frees 300 pages at the bottom of chunk 0
// and of chunk 2; the GC's mark termination starts cycle 1 (nextGen: searchAddrBg rises to the
// highest page freed in cycle 0); then the sweeper frees 100 pages of chunk 1, which was full
// (512 >= 496 pages) at the cycle's first touch.
struct DenseChunkHeap : SmallHeap {
  DenseChunkHeap() : SmallHeap(Pages(3 * kChunkPages)) {
    alloc(3 * kChunkPages);
    freeAt(SimTime(Seconds(1).v), 0, 300);
    freeAt(SimTime(Seconds(1).v), 2 * kChunkPages, 300);
    pages.nextScavengeGen();
    freeAt(SimTime(Seconds(2).v), kChunkPages, 100);
  }
};

std::unique_ptr<ScavengerPolicy> pacedToReleaseEverything(const std::string& name, const SmallHeap& h) {
  auto s = makeScavenger(name);
  // Goal = 10 MiB x 0.1 / 1 x 1.1: far below what the heap retains.
  s->paced(pacing(MiB(1).v, MiB(10).v, MiB(10).v, h.view().heapRetained.v));
  s->sweepDone(h.now, kTestSysmonDelay);
  return s;
}

TEST(Background121, SkipsAChunkDenseInThisCycleThatBackground119Releases) {
  DenseChunkHeap h;
  EXPECT_FALSE(h.pages.backgroundMayScavenge(1)) << "lastInUse = 512 at the cycle's first touch";
  EXPECT_TRUE(h.pages.backgroundMayScavenge(0));
  EXPECT_TRUE(h.pages.backgroundMayScavenge(2));
  auto s = pacedToReleaseEverything("background-1.21", h);
  EXPECT_EQ(h.runWorkerUntil(*s, SimTime(Seconds(60).v)), 600);
  EXPECT_TRUE(h.pages.isScavenged(0) && h.pages.isScavenged(2 * kChunkPages + 299));
  EXPECT_FALSE(h.pages.isScavenged(kChunkPages)) << "the dense chunk keeps its free pages";
  EXPECT_EQ(h.pages.freeRetained().v, 100);

  // The next GC cycle: chunk 1 is no longer dense (412 pages in use), and the cursor rises to
  // the highest page freed in cycle 1, which is in chunk 1.
  h.pages.nextScavengeGen();
  s->paced(pacing(MiB(1).v, MiB(10).v, MiB(10).v, h.view().heapRetained.v));
  s->sweepDone(h.now, kTestSysmonDelay);
  EXPECT_EQ(h.runWorkerUntil(*s, SimTime(Seconds(120).v)), 100);
  EXPECT_EQ(h.pages.freeRetained().v, 0);

  DenseChunkHeap g;
  auto old = pacedToReleaseEverything("background-1.19", g);
  EXPECT_EQ(g.runWorkerUntil(*old, SimTime(Seconds(60).v)), 700) << "Go 1.19 has no density rule";
}

TEST(Background121, PagesFreedInThisCycleWaitForTheNextOne) {
  // searchAddrBg is raised only by nextGen: a heap whose only free pages were freed after the
  // last mark termination has nothing for the background scavenger (Go 1.19 releases them).
  SmallHeap h{Pages(kChunkPages)};
  h.alloc(200);  // a sparse chunk: density does not stand in the way
  h.pages.nextScavengeGen();
  h.freeAt(SimTime(Seconds(1).v), 100, 50);
  auto s = pacedToReleaseEverything("background-1.21", h);
  EXPECT_EQ(h.runWorkerUntil(*s, SimTime(Seconds(30).v)), 0);
  EXPECT_FALSE(s->nextWake().has_value()) << "found nothing: parked";
  h.pages.nextScavengeGen();
  s->sweepDone(h.now, kTestSysmonDelay);
  EXPECT_EQ(h.runWorkerUntil(*s, SimTime(Seconds(60).v)), 50);
}

TEST(Background121, MemoryLimitScavengingIsForcedTheRestGenerational) {
  auto s = makeScavenger("background-1.21", {}, &goRelease("1.22"));
  s->paced(pacing(30 * kMiB, 20 * kMiB, 10 * kMiB, 100 * kMiB));
  const SpanAllocation grew{MiB(16), MiB(16), Bytes(0), Bytes(kPageSize)};
  // Goal 16.5 MiB: growth 16 MiB on 10 MiB retained releases 9.5 MiB.
  const ScavengeRequest growth = s->eager(grew, view(10 * kMiB, 10 * kMiB, 50 * kMiB), std::nullopt);
  EXPECT_EQ(growth.bytes.v, 19 * kMiB / 2);
  EXPECT_TRUE(growth.select.generational);
  const ScavengeRequest limit = s->eager(grew, view(10 * kMiB, 10 * kMiB, 99 * kMiB), Bytes(100 * kMiB));
  EXPECT_EQ(limit.bytes.v, 15 * kMiB);
  EXPECT_FALSE(limit.select.generational) << "allocSpan: forceScavenge for the memory limit";
  s->sweepDone(SimTime(0), kTestSysmonDelay);
  EXPECT_TRUE(s->runBatch(*s->nextWake(), view(100 * kMiB, 80 * kMiB)).select.generational);
}

TEST(Background121, MemoryLimitGoalIsFixedFromGo122) {
  expectMemoryLimitGoalBugFollowsTheGoVersion("background-1.21", {"1.21", "1.22"});
}

}  // namespace
}  // namespace gomemsim
