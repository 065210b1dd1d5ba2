// Behavioural tests of the assembled runtime model (sim/runtime) through its facade: when GCs
// happen (heap trigger, runtime.GC, sysmon's forced GC, GOGC=off), what they free, what RSS does,
// and the identities every snapshot must satisfy. Default config: Go 1.19, GOGC=100,
// GOMAXPROCS=2, MADV_DONTNEED.
#include "runtime/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace gomemsim {
namespace {

constexpr DeathTick kHeld = kTagBase + 1;

void expectSnapshotIdentities(const MemSnapshot& s) {
  EXPECT_EQ(s.heapSys, s.heapInuse + s.heapIdle);
  EXPECT_LE(s.heapReleased, s.heapIdle);
  EXPECT_EQ(s.heapSys.v % MiB(4).v, 0) << "the heap grows in 4 MiB steps";
  EXPECT_LE(s.heapAlloc, s.heapInuse);
  for (const Bytes b : {s.reachable, s.unsweptGarbage, s.spanFree, s.retainedFree, s.lazyFree,
                        s.stackInuse, s.runtimeOverhead, s.baseline})
    EXPECT_GE(b.v, 0);
  EXPECT_EQ(s.reachable + s.unsweptGarbage + s.spanFree + s.retainedFree + s.lazyFree + s.stackInuse +
                s.runtimeOverhead + s.baseline,
            s.rss);
}

// n objects of `size` with pointers on P0, fully written.
std::vector<ObjectRef> allocate(Runtime& rt, int n, Bytes size, DeathTick death) {
  std::vector<ObjectRef> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(rt.malloc(0, size, true, death, size, 0));
  return out;
}

TEST(RuntimeModel, FirstGcStartsExactlyWhenHeapLiveReachesTheTrigger) {
  const SizeClassTable& classes = SizeClassTable::forRelease(goRelease("1.19"));
  const SizeClass& c = classes.cls(classes.classFor(1024));
  ASSERT_EQ(c.npages, 1);
  ASSERT_EQ(c.objects, 8);
  Runtime rt(RuntimeConfig{});
  EXPECT_EQ(rt.snapshot().trigger.v, 3997696);
  EXPECT_EQ(rt.snapshot().heapGoal, MiB(4));
  // heapLive moves a span (8 KiB) per refill; the trigger 3997696 = 488 spans. The 3897th
  // object opens span 488.
  allocate(rt, 3896, KiB(1), kForever);
  MemSnapshot s = rt.snapshot();
  EXPECT_EQ(s.heapLive.v, 487 * kPageSize);
  EXPECT_FALSE(s.inMark);
  EXPECT_EQ(s.numGc, 0);
  allocate(rt, 1, KiB(1), kForever);
  s = rt.snapshot();
  EXPECT_EQ(s.heapLive.v, 488 * kPageSize);
  EXPECT_TRUE(s.inMark);
  expectSnapshotIdentities(s);
  // The mark finishes in simulated time; everything is live.
  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 1);
  EXPECT_FALSE(s.inMark);
  EXPECT_EQ(s.heapMarked.v, 3897 * 1024);
  expectSnapshotIdentities(s);
}

// The program pays for the sweeping its allocations do (Runtime::takeMutatorStall): after a
// cycle that found every 1 KiB object live, the next 1 KiB allocation's refill sweeps the
// partly filled span (mcentral.cacheSpan: partialUnswept first) and uses it; bgsweep on the
// other P shares the work, so the goroutine waits half a span's sweep. Then a burst that needs
// more spans sweeps the full ones on its way (cacheSpan's fullUnswept) - each one half a sweep.
TEST(RuntimeModel, TheAllocatingGoroutineWaitsForTheSweepingItsRefillDoes) {
  Runtime rt(RuntimeConfig{});
  allocate(rt, 3897, KiB(1), kForever);
  ASSERT_TRUE(rt.snapshot().inMark);
  while (rt.snapshot().inMark) rt.advanceTo(rt.nextEvent(), 1.0);
  ASSERT_EQ(rt.snapshot().numGc, 1);
  (void)rt.takeMutatorStall();  // the pauses so far
  EXPECT_EQ(rt.takeMutatorStall().v, 0);
  allocate(rt, 1, KiB(1), kForever);
  EXPECT_EQ(rt.takeMutatorStall().v, kSweepNsPerSpan / 2);
  EXPECT_EQ(rt.takeMutatorStall().v, 0) << "charged once";
  allocate(rt, 7 + 8 * 20, KiB(1), kForever);  // the rest of that span, then 20 more spans
  const Duration burst = rt.takeMutatorStall();
  EXPECT_GT(burst.v, 0);
  EXPECT_EQ(burst.v % (kSweepNsPerSpan / 2), 0) << "whole spans, nothing freed";
}

TEST(RuntimeModel, DroppedObjectsAreFreedByRuntimeGcAndRssFallsOnlyWithFreeOSMemory) {
  Runtime rt(RuntimeConfig{});
  const auto objs = allocate(rt, 2048, KiB(1), kHeld);  // 256 spans: 2 MiB, below the trigger
  MemSnapshot s = rt.snapshot();
  EXPECT_EQ(s.heapAlloc, MiB(2));
  EXPECT_EQ(s.heapInuse, MiB(2));
  EXPECT_EQ(s.heapSys, MiB(4));
  EXPECT_EQ(s.heapReleased, MiB(2)) << "fresh heap memory counts as released";
  EXPECT_EQ(rt.osResident(), MiB(2));
  expectSnapshotIdentities(s);

  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  for (const auto& o : objs) rt.setDeath(o, tickOf(rt.now()));  // drop every reference
  rt.advanceTo(SimTime(Seconds(60).v), 1.0);
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 0) << "dropping references starts no GC";
  EXPECT_FALSE(s.inMark);
  EXPECT_EQ(s.heapAlloc, MiB(2));
  EXPECT_EQ(s.reachable.v, 0);
  EXPECT_EQ(s.unsweptGarbage, MiB(2));
  expectSnapshotIdentities(s);
  const Bytes rssBefore = s.rss;

  rt.gc();
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 1);
  EXPECT_EQ(s.numForcedGc, 1);
  EXPECT_EQ(s.heapAlloc.v, 0);
  EXPECT_EQ(s.heapObjects, 0);
  EXPECT_EQ(s.heapInuse.v, 0);
  EXPECT_EQ(s.heapIdle, MiB(4));
  EXPECT_EQ(s.heapReleased, MiB(2));
  EXPECT_EQ(s.retainedFree, MiB(2));
  EXPECT_EQ(s.rss, rssBefore) << "freed pages stay resident until scavenged";
  EXPECT_EQ(rt.osResident(), MiB(2));
  expectSnapshotIdentities(s);

  const SimTime beforeFree = rt.now();
  rt.freeOSMemory();
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 2);
  EXPECT_EQ(s.heapReleased, s.heapIdle);
  EXPECT_EQ(s.heapReleased, MiB(4));
  EXPECT_GT(rt.now(), beforeFree) << "the GC and the release take time";
  EXPECT_EQ(s.releasedForced, MiB(2));
  EXPECT_EQ(rt.osResident().v, 0);
  EXPECT_EQ(s.rss, rssBefore - MiB(2));
  EXPECT_EQ(s.retainedFree.v, 0);
  expectSnapshotIdentities(s);
}

TEST(RuntimeModel, IdleProgramGetsAForcedGcEveryTwoMinutes) {
  Runtime rt(RuntimeConfig{});
  allocate(rt, 100, KiB(1), kForever);
  rt.gc();
  const SimTime end = rt.now();
  EXPECT_EQ(rt.snapshot().numGc, 1);
  rt.advanceTo(end + Seconds(120), 0);
  EXPECT_EQ(rt.snapshot().numGc, 1) << "forcegcperiod is exceeded only after 120 s";
  rt.advanceTo(end + Seconds(121), 0);
  MemSnapshot s = rt.snapshot();
  EXPECT_EQ(s.numGc, 2);
  EXPECT_EQ(s.numForcedGc, 1) << "sysmon's GC is not a user-forced GC";
  rt.advanceTo(end + Seconds(240), 0);
  EXPECT_EQ(rt.snapshot().numGc, 2);
  rt.advanceTo(end + Seconds(242), 0);
  EXPECT_EQ(rt.snapshot().numGc, 3);
  expectSnapshotIdentities(rt.snapshot());
}

TEST(RuntimeModel, GogcOffNeverCollectsByItself) {
  RuntimeConfig cfg;
  cfg.gogc = -1;
  Runtime rt(cfg);
  for (int i = 0; i < 16; ++i) {
    allocate(rt, 1024, KiB(1), deathTickFor(rt.now(), Milliseconds(1)));
    rt.advanceTo(rt.now() + Milliseconds(10), 1.0);
  }
  MemSnapshot s = rt.snapshot();
  EXPECT_EQ(s.heapAlloc, MiB(16));
  EXPECT_EQ(s.numGc, 0);
  EXPECT_FALSE(s.inMark);
  EXPECT_EQ(s.heapGoal.v, 0) << "no goal is reported as 0";
  rt.advanceTo(rt.now() + Seconds(600), 0);
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 0) << "no forced periodic GC with GOGC=off";
  EXPECT_FALSE(s.inMark);
  rt.gc();  // runtime.GC still works
  s = rt.snapshot();
  EXPECT_EQ(s.numGc, 1);
  EXPECT_EQ(s.heapAlloc.v, 0);
  // Long after it, in steps (a GC started at the end of one step would still be marking).
  for (int i = 0; i < 10; ++i) {
    rt.advanceTo(rt.now() + Seconds(60), 0);
    s = rt.snapshot();
    EXPECT_EQ(s.numGc, 1);
    EXPECT_FALSE(s.inMark);
  }
  expectSnapshotIdentities(s);
}

TEST(RuntimeModel, GogcOffWithAMemoryLimitCollectsBeforeTheLimit) {
  RuntimeConfig cfg;
  cfg.gogc = -1;
  cfg.memoryLimit = MiB(32);
  Runtime rt(cfg);
  Bytes liveAtFirstGc{-1};
  for (int i = 0; i < 8 * 8192 && liveAtFirstGc.v < 0; ++i) {
    rt.malloc(0, KiB(1), true, deathTickFor(rt.now(), Microseconds(100)), KiB(1), 0);
    if (i % 8 == 7) {
      rt.advanceTo(rt.now() + Microseconds(20), 1.0);
      const MemSnapshot s = rt.snapshot();
      if (s.inMark || s.numGc > 0) liveAtFirstGc = s.heapLive;
    }
  }
  ASSERT_GE(liveAtFirstGc.v, 0) << "64 MiB allocated against a 32 MiB limit without a GC";
  // The memory-limit goal is 32 MiB - non-heap - 1 MiB; the trigger sits 70-95 % of the way.
  EXPECT_LT(liveAtFirstGc, MiB(31));
  EXPECT_GT(liveAtFirstGc, MiB(16));
}

// GOMEMLIMIT limits the memory the runtime has mapped and not released (Go 1.19 mgcpacer.go
// memoryLimitHeapGoal: mappedReady = the runtime's mapped memory less heapReleased): a 64 MiB
// heap that died and went back to the OS with debug.FreeOSMemory takes nothing off the goal.
// The goal is the limit less the non-heap memory (stacks, metadata, the free space in in-use
// spans) and Go 1.19's 1 MiB headroom.
TEST(RuntimeModel, MemoryLimitGoalLeavesOutReleasedMemory) {
  RuntimeConfig cfg;
  cfg.gogc = -1;
  Runtime rt(cfg);
  allocate(rt, 64 * 1024, KiB(1), DeathTick{1});
  rt.advanceTo(SimTime(Seconds(1).v), 0);
  rt.freeOSMemory();
  rt.setMemoryLimit(MiB(48));
  const MemSnapshot s = rt.snapshot();
  ASSERT_GE(s.heapReleased, MiB(64));
  const Bytes nonHeap = s.stackInuse + s.gcSys + (s.heapInuse - s.heapAlloc);
  ASSERT_LT(nonHeap, MiB(8));
  EXPECT_EQ(s.heapGoal, MiB(48) - nonHeap - MiB(1));
}

// GCCPUFraction counts the GC's own CPU: the dedicated and fractional mark workers (25 % of
// GOMAXPROCS while the mark runs), assists and the two pauses (x GOMAXPROCS), over the time
// since the start x GOMAXPROCS (Go 1.19 mgc.go gcMarkTermination: idle mark time is left out
// of cycleCpu). An idle program's GC is marked mostly by idle workers on the Ps it leaves idle
// (kIdleMarkShare of them); counting those would more than triple the figure.
TEST(RuntimeModel, GcCpuFractionLeavesOutIdleMarkWorkers) {
  Runtime rt(RuntimeConfig{});
  allocate(rt, 3897, KiB(1), kForever);  // at time 0, up to the first trigger
  ASSERT_TRUE(rt.snapshot().inMark);
  while (rt.snapshot().inMark) rt.advanceTo(rt.nextEvent(), 0);  // the program is idle
  const MemSnapshot s = rt.snapshot();
  ASSERT_EQ(s.numGc, 1);
  const double procs = 2, mark = static_cast<double>(rt.now().ns);
  const double gcCpu = kGcBackgroundUtilization * procs * mark + static_cast<double>(kStwNs) * procs;
  const double elapsed = (mark + static_cast<double>(kStwNs)) * procs;
  EXPECT_NEAR(s.gcCpuFraction, gcCpu / elapsed, 0.01 * gcCpu / elapsed);
}

TEST(RuntimeModel, SnapshotIdentitiesHoldThroughGcCycles) {
  Runtime rt(RuntimeConfig{});
  expectSnapshotIdentities(rt.snapshot());
  bool sawMark = false, sawUnswept = false;
  for (int step = 0; step < 400; ++step) {
    for (int i = 0; i < 64; ++i) {
      const int k = step * 64 + i;
      const Duration life = k % 10 == 0 ? Seconds(3600) : Milliseconds(1 + k % 40);
      const DeathTick d = deathTickFor(rt.now(), life);
      rt.malloc(k % 2, Bytes(8), false, d, Bytes(8), 0);    // tiny
      rt.malloc(k % 2, Bytes(48), true, d, Bytes(48), 1);
      rt.malloc(k % 2, Bytes(1000), k % 3 == 0, d, Bytes(1000), 2);
      if (k % 16 == 0) rt.malloc(k % 2, Bytes(40000), false, d, Bytes(40000), 3);  // large
    }
    // 2 ms of the program, looked at every 250 us (a mark of this small heap is shorter).
    for (int sub = 0; sub < 8; ++sub) {
      rt.advanceTo(rt.now() + Microseconds(250), 1.0);
      const MemSnapshot s = rt.snapshot();
      sawMark |= s.inMark;
      sawUnswept |= s.unsweptGarbage.v > 0;
      expectSnapshotIdentities(s);
      if (HasFailure()) return;
    }
  }
  EXPECT_TRUE(sawMark);
  EXPECT_TRUE(sawUnswept);
  EXPECT_GT(rt.snapshot().numGc, 3);
  rt.gc();
  expectSnapshotIdentities(rt.snapshot());
  rt.freeOSMemory();
  const MemSnapshot s = rt.snapshot();
  expectSnapshotIdentities(s);
  EXPECT_EQ(s.heapReleased, s.heapIdle);
  EXPECT_EQ(s.retainedFree.v, 0);
}

TEST(RuntimeModel, WithMadvFreeReleasedPagesStayInRssAsLazyFree) {
  RuntimeConfig cfg;
  cfg.madvise = MadviseMode::Free;
  Runtime rt(cfg);
  const auto objs = allocate(rt, 2048, KiB(1), kHeld);
  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  for (const auto& o : objs) rt.setDeath(o, tickOf(rt.now()));
  const Bytes rssBefore = rt.snapshot().rss;
  rt.freeOSMemory();
  MemSnapshot s = rt.snapshot();
  EXPECT_EQ(s.heapReleased, MiB(4));
  EXPECT_EQ(s.lazyFree, MiB(2));
  EXPECT_EQ(s.rss, rssBefore) << "MADV_FREE pages stay resident until the kernel needs them";
  expectSnapshotIdentities(s);
  // Reusing part of the released memory: the written pages stop being LazyFree.
  allocate(rt, 256, KiB(1), kForever);  // 32 spans, zeroed whole (dirty pages)
  s = rt.snapshot();
  EXPECT_EQ(s.lazyFree, MiB(2) - KiB(256));
  EXPECT_EQ(s.rss, rssBefore);
  expectSnapshotIdentities(s);
}

TEST(RuntimeModel, RetainedFreeCountsOnlyFreePagesThatAreNotLazyFree) {
  RuntimeConfig cfg;
  cfg.madvise = MadviseMode::Free;
  Runtime rt(cfg);
  const auto objs = allocate(rt, 2048, KiB(1), kHeld);  // pages 0-255, all written
  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  for (const auto& o : objs) rt.setDeath(o, tickOf(rt.now()));
  rt.freeOSMemory();  // 2 MiB LazyFree
  // One 1 KiB object reuses page 0: its slot is zeroed, so OS page 0 is written and the
  // span's second OS page stays LazyFree inside an in-use span.
  allocate(rt, 1, KiB(1), kForever);
  // 64 one-page objects reuse pages 1-64 (zeroed whole), then die: free, resident, not lazy.
  const auto pagesObjs = allocate(rt, 64, KiB(8), kHeld);
  rt.advanceTo(rt.now() + Seconds(1), 1.0);
  for (const auto& o : pagesObjs) rt.setDeath(o, tickOf(rt.now()));
  rt.gc();
  const MemSnapshot s = rt.snapshot();
  ASSERT_EQ(s.heapInuse.v, kPageSize);
  // LazyFree (smaps): pages 65-255 (191 x 8 KiB) plus the second half of page 0.
  EXPECT_EQ(s.lazyFree.v, 191 * kPageSize + kOsPageSize);
  expectSnapshotIdentities(s);
  if (s.retainedFree.v != 64 * kPageSize)
    FAIL() << "regression: retainedFree is " << s.retainedFree.v << " instead of " << 64 * kPageSize
                 << " (64 free, resident, non-lazy pages): Runtime::snapshot computes it as "
                    "resident-in-free-runs minus *all* LazyFree, so LazyFree pages inside in-use "
                    "spans are taken off retainedFree and reappear in the in-use categories "
                    "(spanFree " << s.spanFree.v << ").";
  EXPECT_EQ(s.retainedFree.v, 64 * kPageSize);
  EXPECT_EQ(s.reachable.v + s.unsweptGarbage.v + s.spanFree.v, kOsPageSize);
}

TEST(RuntimeModel, FreeOsMemoryTakesTheKernelsTimeForWhatItReleases) {
  // mheap.go scavengeAll runs on the calling goroutine: the call lasts as long as the kernel's
  // work (os madviseCost). 64 MiB in one large object is huge-page backed (Go 1.19 sysUsed
  // advises MADV_HUGEPAGE; machine.thp madvise): 32 huge-page zaps. The same 64 MiB in 4 KiB
  // objects is 16384 page-table pages.
  auto timeToFree = [](bool large) {
    Runtime rt(RuntimeConfig{});
    if (large) {
      rt.malloc(0, MiB(64), false, DeathTick{1}, MiB(64), 0);
    } else {
      for (int i = 0; i < 16384; ++i) rt.malloc(0, KiB(4), false, DeathTick{1}, KiB(4), 0);
    }
    rt.advanceTo(SimTime(Seconds(1).v), 0);
    rt.gc();
    const double huge = static_cast<double>(rt.snapshot().anonHugePages.v);
    const SimTime t0 = rt.now();
    rt.freeOSMemory();
    EXPECT_EQ(rt.snapshot().anonHugePages.v, 0);
    return std::pair<double, double>(static_cast<double>((rt.now() - t0).v), huge);
  };
  const auto [largeNs, largeHuge] = timeToFree(true);
  const auto [smallNs, smallHuge] = timeToFree(false);
  EXPECT_EQ(largeHuge, static_cast<double>(MiB(64).v));
  EXPECT_EQ(smallHuge, 0);
  EXPECT_GT(largeNs, 32 * kZapNsPerHugePage);
  EXPECT_LT(largeNs, 32 * kZapNsPerHugePage + 5e6) << "plus the GC";
  EXPECT_GT(smallNs, 16384 * kZapNsPerOsPage);
  EXPECT_GT(smallNs, 3 * largeNs);
}

// pprof's inuse heap after an automatic GC is one cycle late: mark termination's mProf_Flush
// publishes the cycle before it (mprof.go: a free found by cycle N's mark is shown from cycle
// N+1 on), and only runtime.GC() flushes again after its sweep (mProf_PostSweep), showing what it
// just marked. Three live sets of known sizes, each allocated until the heap starts the next GC:
// A (1 KiB objects) marked by GC 1, dropped; B (2 KiB objects) the only set GC 2 marks; C (4 KiB
// objects) added before GC 3. After GC 2 the profile still shows A, after GC 3 only B; after a
// runtime.GC() at once B and C.
TEST(RuntimeModel, HeapProfileAfterAnAutomaticGcShowsTheCycleBefore) {
  Runtime rt(RuntimeConfig{});
  // Allocates objects of `size` one at a time until heapLive reaches the trigger, then lets the
  // GC start (after the allocating goroutine's sweeping) and its mark end.
  auto allocateUntilGc = [&rt](Bytes size, DeathTick death) {
    std::vector<ObjectRef> objs;
    for (MemSnapshot s = rt.snapshot(); !s.inMark && s.heapLive < s.trigger; s = rt.snapshot())
      objs.push_back(rt.malloc(0, size, true, death, size, 0));
    while (!rt.snapshot().inMark) rt.advanceTo(rt.nextEvent(), 1.0);  // gcStart sweeps first
    while (rt.snapshot().inMark) rt.advanceTo(rt.nextEvent(), 1.0);
    return objs;
  };
  const auto setA = allocateUntilGc(KiB(1), kHeld);
  const Bytes a = KiB(1) * static_cast<int64_t>(setA.size());
  ASSERT_EQ(rt.snapshot().numGc, 1);
  ASSERT_EQ(rt.snapshot().heapMarked.v, a.v);

  for (const ObjectRef o : setA) rt.setDeath(o, tickOf(rt.now()));  // drop A
  const Bytes b = KiB(2) * static_cast<int64_t>(allocateUntilGc(KiB(2), kForever).size());
  MemSnapshot s = rt.snapshot();
  ASSERT_EQ(s.numGc, 2);
  ASSERT_EQ(s.numForcedGc, 0);
  ASSERT_EQ(s.heapMarked.v, b.v) << "GC 2 finds only B live";
  ASSERT_NE(a.v, b.v);
  EXPECT_EQ(s.pprofInuse.v, a.v) << "after automatic GC 2 the profile shows GC 1's heap (A), not B";

  const Bytes c = KiB(4) * static_cast<int64_t>(allocateUntilGc(KiB(4), kForever).size());
  s = rt.snapshot();
  ASSERT_EQ(s.numGc, 3);
  ASSERT_EQ(s.heapMarked.v, (b + c).v);
  EXPECT_EQ(s.pprofInuse.v, b.v) << "after automatic GC 3 the profile shows GC 2's heap (B), not B + C";

  rt.gc();
  s = rt.snapshot();
  ASSERT_EQ(s.numGc, 4);
  EXPECT_EQ(s.pprofInuse.v, (b + c).v) << "runtime.GC() publishes the cycle it just marked";
}

// debug.FreeOSMemory's kernel time per huge page, as measured on the real runtime: in seed-1gb
// run-1..6 it released ~4 GiB of huge-page-backed memory (2048 huge pages) in 18-19 ms, ~9 us
// per huge page (zap_huge_pmd drops a 2 MiB page in one step); over 4 KiB pages the background
// scavenger of gc-then-idle released ~12.5 MiB per ms, ~160 us per 2 MiB. The cost of 32 more
// huge pages is measured as the difference between releasing one dead 128 MiB and one dead
// 64 MiB object (huge-page backed with THP madvise, 4 KiB pages with THP never), so what both
// releases share (the GC, the calls) cancels out.
TEST(RuntimeModel, FreeOsMemoryPaysTheMeasuredKernelTimePerHugePage) {
  auto timeToFree = [](Bytes size, ThpMode thp) {
    RuntimeConfig cfg;
    cfg.thp = thp;
    Runtime rt(cfg);
    rt.malloc(0, size, false, DeathTick{1}, size, 0);
    rt.advanceTo(SimTime(Seconds(1).v), 0);
    rt.gc();
    EXPECT_EQ(rt.snapshot().anonHugePages.v, thp == ThpMode::Never ? 0 : size.v);
    const SimTime t0 = rt.now();
    rt.freeOSMemory();
    EXPECT_EQ(rt.osResident().v, 0);
    return static_cast<double>((rt.now() - t0).v);
  };
  const double hugeNs = (timeToFree(MiB(128), ThpMode::Madvise) - timeToFree(MiB(64), ThpMode::Madvise)) / 32;
  const double smallNs = (timeToFree(MiB(128), ThpMode::Never) - timeToFree(MiB(64), ThpMode::Never)) / 32;
  const double realHugeNs = 18.5e6 / 2048;  // seed-1gb: 18-19 ms for ~4 GiB
  const double realSmallNs = 1e6 * 2 / 12.5;  // gc-then-idle: 12.5 MiB per ms
  EXPECT_NEAR(hugeNs, realHugeNs, 0.15 * realHugeNs) << "per 2 MiB huge page released";
  EXPECT_NEAR(smallNs, realSmallNs, 0.15 * realSmallNs) << "per 2 MiB released in 4 KiB pages";
  EXPECT_LT(hugeNs, smallNs / 10) << "a huge page is dropped without its 512 page-table entries";
}

TEST(RuntimeModel, HeldObjectsMarkInOrderTimedOnesScattered) {
  // The mark's cost per object: kMarkNsInOrder for objects a live set holds (reached in
  // allocation order), kMarkNsScattered for timed ones; a forced GC marks with every P.
  auto markTime = [](DeathTick death) {
    Runtime rt(RuntimeConfig{});
    for (int i = 0; i < 100000; ++i) rt.malloc(0, Bytes(64), false, death, Bytes(64), 0);
    rt.advanceTo(SimTime(Seconds(1).v), 0);
    const int64_t gcs = rt.snapshot().numGc;
    const SimTime t0 = rt.now();
    rt.gc();
    EXPECT_EQ(rt.snapshot().numGc, gcs + 1);
    return static_cast<double>((rt.now() - t0).v);
  };
  const double held = markTime(kForever);
  const double timed = markTime(deathTickFor(SimTime(0), Seconds(3600)));
  const double perObjectGap = (kMarkNsScattered - kMarkNsInOrder) * 100000 / 2;  // 2 Ps
  EXPECT_NEAR(timed - held, perObjectGap, 0.05 * perObjectGap);
}

TEST(RuntimeModel, TypedScanCostsMorePerByteFromGo122Only) {
  // A forced GC of 64 MiB of pointerful objects: 256 B ones are scanned through heap bits in
  // every release; 1 KiB ones (a 1152 B slot with its malloc header from Go 1.22) through their
  // type, at typedScanNsPerByte (mbitmap.go typePointers), in Go 1.22+ only.
  auto markNsPerByte = [](const char* go, int64_t size) {
    RuntimeConfig cfg;
    cfg.release = &goRelease(go);
    cfg.greenTea = greenTeaFor(*cfg.release, "");
    Runtime rt(cfg);
    const int64_t n = MiB(64).v / size;
    for (int64_t i = 0; i < n; ++i) rt.malloc(0, Bytes(size), true, kForever, Bytes(8), 0);
    rt.advanceTo(SimTime(Seconds(1).v), 0);
    const SimTime t0 = rt.now();
    rt.gc();
    return static_cast<double>((rt.now() - t0).v) * cfg.gomaxprocs / static_cast<double>(MiB(64).v);
  };
  const double old256 = markNsPerByte("1.19", 256), old1k = markNsPerByte("1.19", 1024);
  const double new256 = markNsPerByte("1.26", 256), new1k = markNsPerByte("1.26", 1024);
  EXPECT_NEAR(old1k, old256, 0.15 * old256) << "one heap-bits rate for every size in Go 1.19";
  EXPECT_GT(new1k, 3 * new256) << "the type's slow path per word against Green Tea's span scan";
  EXPECT_NEAR(new1k, kMarkCostGreenTea.typedScanNsPerByte * 1152 / 1024, 0.1 * new1k);
}

}  // namespace
}  // namespace gomemsim
