// Unit tests for the span/mcache/mcentral/sweep model (sim/mheap). Every heap here is small
// enough that the expected numbers follow by hand from the Go 1.19 rules the header cites
// (mcache.refill, mcentral.cacheSpan, sweepLocked.sweep, mheap.allocSpan/allocNeedsZero,
// mallocgc's tiny allocator, deductSweepCredit).
#include "mheap/mheap.h"
#include "mheap/mheap_test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace gomemsim {
namespace {

using mheap_testing::Rig;

constexpr DeathTick kHeld = kTagBase + 1;

TEST(MHeap, SpanReturnsToThePageHeapOnlyWhenAllItsObjectsAreDead) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  std::vector<ObjectRef> a, b;
  for (int i = 0; i < 256; ++i) a.push_back(r.heap.mallocSmall(0, c32, true, 5, Bytes(32)));
  // Span B: all dead at tick 5 except one object.
  for (int i = 0; i < 256; ++i)
    b.push_back(r.heap.mallocSmall(0, c32, true, i == 100 ? kForever : 5, Bytes(32)));
  for (const auto& o : a) EXPECT_EQ(o.span, a[0].span);
  for (const auto& o : b) EXPECT_EQ(o.span, b[0].span);
  ASSERT_NE(a[0].span, b[0].span);
  EXPECT_EQ(r.pages.inUse().v, 2);
  EXPECT_EQ(r.heap.spansInUse(), 2);
  EXPECT_EQ(r.heap.heapAlloc().v, 512 * 32);
  // Two full pages written by the program: 4 OS pages resident.
  EXPECT_EQ(r.os.resident().v, 2 * kPageSize);

  r.heap.releaseAllCaches();  // B goes back to its mcentral (full, swept)
  r.heap.startSweepCycle(5, Bytes(32));
  EXPECT_FALSE(r.heap.isSweepDone());
  EXPECT_EQ(r.heap.heapAlloc().v, 512 * 32) << "nothing is freed before a span is swept";
  EXPECT_EQ(r.pages.inUse().v, 2);

  r.heap.finishSweep();
  EXPECT_TRUE(r.heap.isSweepDone());
  EXPECT_EQ(r.hooks.sweepDoneCalls, 1);
  // A (all dead) went back to the page heap; B (one survivor) stays in use.
  EXPECT_EQ(r.pages.inUse().v, 1);
  EXPECT_EQ(r.heap.spansInUse(), 1);
  EXPECT_EQ(r.heap.heapAlloc().v, 32);
  EXPECT_EQ(r.heap.heapObjects(), 1);
  EXPECT_EQ(r.heap.sweepStats().spansSwept, 2);
  EXPECT_EQ(r.heap.sweepStats().pagesSwept, 2);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 511);
  EXPECT_EQ(r.heap.totalFree().v, 511 * 32);
  // The freed page is free but still resident (heapFree, not released).
  EXPECT_EQ(r.pages.freeRetained().v, 1);
  EXPECT_EQ(r.os.resident().v, 2 * kPageSize);
  EXPECT_TRUE(r.pages.isFree(static_cast<int64_t>(0)));
  EXPECT_FALSE(r.pages.isScavenged(0));
}

TEST(MHeap, PartiallyDeadSpanStaysInUseAndItsFreedSlotsAreReusedOnlyAfterItIsSwept) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  std::vector<ObjectRef> a;
  for (int i = 0; i < 256; ++i)
    a.push_back(r.heap.mallocSmall(0, c32, true, i % 2 == 0 ? 5 : kForever, Bytes(32)));
  const uint32_t spanA = a[0].span;
  // The next object refills: A goes to the full-swept set, B is fresh.
  const ObjectRef b0 = r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  const uint32_t spanB = b0.span;
  ASSERT_NE(spanA, spanB);
  EXPECT_EQ(b0.slot, 0u);

  // Mark at tick 5 finds the even slots of A dead. B was cached across the flip and is swept
  // when the mcache is released (nothing in it is dead); A is not swept yet.
  r.heap.startSweepCycle(5, Bytes(128 * 32 + 32));
  EXPECT_EQ(r.heap.heapAlloc().v, 257 * 32);
  EXPECT_FALSE(r.heap.isSweepDone());

  // cacheSpan prefers the partial swept span B; A's dead slots are not handed out.
  for (uint32_t slot = 1; slot < 256; ++slot) {
    const ObjectRef o = r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
    ASSERT_EQ(o.span, spanB);
    ASSERT_EQ(o.slot, slot);
  }
  EXPECT_EQ(r.heap.heapAlloc().v, 512 * 32);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 0);
  EXPECT_EQ(r.pages.inUse().v, 2);

  // B is full: cacheSpan sweeps A (full unswept) and reuses its freed slots in address order.
  const ObjectRef c0 = r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  const ObjectRef c1 = r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  EXPECT_EQ(c0.span, spanA);
  EXPECT_EQ(c0.slot, 0u);
  EXPECT_EQ(c1.span, spanA);
  EXPECT_EQ(c1.slot, 2u);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 128);
  EXPECT_EQ(r.heap.heapAlloc().v, (512 - 128 + 2) * 32);
  EXPECT_EQ(r.pages.inUse().v, 2) << "no new span was needed";
  EXPECT_TRUE(r.heap.isSweepDone());
}

TEST(MHeap, HeapLiveGrowsByTheWholeSpanAtRefillAndIsResetToHeapMarked) {
  Rig r;
  // 48 B: 170 objects in one page, 32 B of tail waste. refill counts
  // npages*8192 - allocCount*elemsize, tail included.
  const int c48 = r.cls(48, 1, 170);
  r.heap.mallocSmall(0, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 8192);
  EXPECT_EQ(r.hooks.liveGrew, 1);
  for (int i = 1; i < 170; ++i) r.heap.mallocSmall(0, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 8192) << "no refill, no change";
  EXPECT_EQ(r.hooks.liveGrew, 1);
  r.heap.mallocSmall(0, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 2 * 8192);
  EXPECT_EQ(r.hooks.liveGrew, 2);
  // Another P has its own mcache and its own span.
  r.heap.mallocSmall(1, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 3 * 8192);
  EXPECT_EQ(r.hooks.liveGrew, 3);
  EXPECT_EQ(r.heap.heapAlloc().v, 172 * 48);

  // mcache.releaseAll undoes the unallocated slots (169 x 48 per cached span), not the tail.
  r.heap.releaseAllCaches();
  EXPECT_EQ(r.heap.heapLive().v, 3 * 8192 - 2 * 169 * 48);

  // gcController.resetLive at mark termination.
  r.heap.startSweepCycle(1, Bytes(1000));
  EXPECT_EQ(r.heap.heapLive().v, 1000);
  // The next refill sweeps a partial span holding one object and counts its free bytes.
  r.heap.mallocSmall(0, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 1000 + 8192 - 48);
}

TEST(MHeap, StaleCachedSpansDoNotLowerHeapLiveAtTheFlip) {
  Rig r;
  const int c48 = r.cls(48, 1, 170);
  r.heap.mallocSmall(0, c48, false, kForever, Bytes(48));
  r.heap.mallocSmall(1, c48, false, kForever, Bytes(48));
  EXPECT_EQ(r.heap.heapLive().v, 2 * 8192);
  // The spans are still cached at mark termination: releaseAll sees them as stale
  // (sweepgen == h+1) and must not subtract anything from the reset value.
  r.heap.startSweepCycle(1, Bytes(96));
  EXPECT_EQ(r.heap.heapLive().v, 96);
  EXPECT_TRUE(r.heap.isSweepDone());
  EXPECT_EQ(r.heap.heapAlloc().v, 96);
}

TEST(MHeap, LargeObjectsGetWholePagesAndAreFreedBySweepWhenDead) {
  Rig r;
  // ceil(40000/8192) = 5 pages; ceil(32769/8192) = 5; 65536 -> 8.
  const ObjectRef big = r.heap.mallocLarge(Bytes(40000), true, 5, Bytes(40000));
  EXPECT_EQ(r.pages.inUse().v, 5);
  EXPECT_EQ(r.heap.heapLive().v, 5 * kPageSize);
  EXPECT_EQ(r.heap.heapAlloc().v, 5 * kPageSize);
  EXPECT_EQ(r.hooks.liveGrew, 1);
  ASSERT_EQ(r.hooks.spans.size(), 1u);
  EXPECT_EQ(r.hooks.spans[0].growth, MiB(4)) << "mheap.grow: alignUp(5, 512) pages";
  EXPECT_EQ(r.hooks.spans[0].scav.v, 5 * kPageSize) << "fresh memory counts as released";
  const ObjectRef mid = r.heap.mallocLarge(Bytes(32769), false, kForever, Bytes(100));
  const ObjectRef huge = r.heap.mallocLarge(Bytes(65536), true, kForever, Bytes(65536));
  EXPECT_EQ(r.pages.inUse().v, 5 + 5 + 8);
  EXPECT_EQ(r.heap.heapLive().v, 18 * kPageSize);
  EXPECT_EQ(r.heap.heapAlloc().v, 18 * kPageSize);
  EXPECT_EQ(r.heap.heapObjects(), 3);
  EXPECT_EQ(r.hooks.liveGrew, 3);
  EXPECT_NE(big.span, mid.span);
  EXPECT_NE(mid.span, huge.span);

  r.heap.startSweepCycle(5, Bytes(13 * kPageSize));
  EXPECT_EQ(r.heap.heapAlloc().v, 18 * kPageSize) << "not swept yet";
  r.heap.finishSweep();
  EXPECT_EQ(r.pages.inUse().v, 13);
  EXPECT_EQ(r.heap.heapAlloc().v, 13 * kPageSize);
  EXPECT_EQ(r.heap.heapObjects(), 2);
  EXPECT_EQ(r.heap.spansInUse(), 2);
  EXPECT_EQ(r.heap.totalFree().v, 5 * kPageSize);
}

TEST(MHeap, LargeAllocationReclaimsWhollyDeadSpansBeforeTakingNewPages) {
  Rig r;
  r.heap.mallocLarge(Bytes(40960), true, 5, Bytes(40960));     // pages 0-4, dies at 5
  r.heap.mallocLarge(Bytes(40960), true, kForever, Bytes(10));  // pages 5-9
  r.heap.startSweepCycle(5, Bytes(40960));
  ASSERT_FALSE(r.heap.isSweepDone());
  // mheap.alloc -> reclaim(5): the dead span is swept and its pages are reused first-fit.
  const ObjectRef again = r.heap.mallocLarge(Bytes(40960), true, kForever, Bytes(10));
  EXPECT_EQ(r.pages.inUse().v, 10);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 1);
  EXPECT_EQ(r.hooks.spans.back().growth.v, 0);
  EXPECT_EQ(r.hooks.spans.back().scav.v, 0) << "the reused pages were never released";
  EXPECT_EQ(r.heap.heapAlloc().v, 2 * 40960);
  (void)again;
}

TEST(MHeap, TinyAllocationsShareABlockThatDiesWithItsLastSubObject) {
  Rig r;
  const ObjectRef t1 = r.heap.mallocTiny(0, Bytes(4), 10);
  const ObjectRef t2 = r.heap.mallocTiny(0, Bytes(4), 30);  // offset 4
  const ObjectRef t3 = r.heap.mallocTiny(0, Bytes(8), 20);  // aligned to 8: offset 8, fills it
  EXPECT_EQ(t2.span, t1.span);
  EXPECT_EQ(t2.slot, t1.slot);
  EXPECT_EQ(t3.span, t1.span);
  EXPECT_EQ(t3.slot, t1.slot);
  EXPECT_EQ(r.heap.deathOf(t1), 30u) << "a block dies with its longest-lived sub-object";
  EXPECT_EQ(r.heap.heapObjects(), 1);
  EXPECT_EQ(r.heap.heapAlloc().v, 16);
  // 16 bytes are used: a 1-byte object needs a new block (the next slot of the span).
  const ObjectRef t4 = r.heap.mallocTiny(0, Bytes(1), 7);
  EXPECT_EQ(t4.span, t1.span);
  EXPECT_EQ(t4.slot, t1.slot + 1);
  const ObjectRef t5 = r.heap.mallocTiny(0, Bytes(2), 8);  // offset 1 -> 2, same block
  EXPECT_EQ(t5.slot, t4.slot);
  EXPECT_EQ(r.heap.deathOf(t4), 8u);
  EXPECT_EQ(r.heap.heapObjects(), 2);
  EXPECT_EQ(r.heap.heapAlloc().v, 32);
  // mstats counts tiny allocations in both mallocs and frees: live = 2 blocks.
  EXPECT_EQ(r.heap.mallocs(), 5);
  EXPECT_EQ(r.heap.mallocs() - r.heap.frees(), 2);
  // The ledger sees blocks, not sub-objects.
  EXPECT_EQ(r.ledger.reachableAt(7).bytes, 32);
  EXPECT_EQ(r.ledger.reachableAt(8).bytes, 16);
  EXPECT_EQ(r.ledger.reachableAt(29).bytes, 16);
  EXPECT_EQ(r.ledger.reachableAt(30).bytes, 0);

  // Mark at 29: the first block (death 30) survives, the second (death 8) is freed.
  r.heap.startSweepCycle(29, Bytes(16));
  r.heap.finishSweep();
  EXPECT_EQ(r.heap.heapAlloc().v, 16);
  EXPECT_EQ(r.heap.heapObjects(), 1);
  EXPECT_EQ(r.pages.inUse().v, 1);
  // Mark at 30: the last block dies and the span goes back to the page heap.
  r.heap.startSweepCycle(30, Bytes(0));
  r.heap.finishSweep();
  EXPECT_EQ(r.heap.heapAlloc().v, 0);
  EXPECT_EQ(r.pages.inUse().v, 0);
}

// The slots holding death `to` after a retag, as (span, slot) pairs.
std::set<std::pair<uint32_t, uint32_t>> slotsWithDeath(const MHeap& h, const std::vector<ObjectRef>& refs,
                                                       DeathTick d) {
  std::set<std::pair<uint32_t, uint32_t>> out;
  for (const auto& o : refs)
    if (h.deathOf(o) == d) out.insert({o.span, o.slot});
  return out;
}

TEST(MHeap, RetagWithFractionMovesRoundedShareDeterministically) {
  const auto build = [](Rig& r, std::vector<ObjectRef>& tagged) {
    const int c32 = r.cls(32, 1, 256);
    for (int i = 0; i < 100; ++i) tagged.push_back(r.heap.mallocSmall(0, c32, true, kHeld, Bytes(32)));
    for (int i = 0; i < 20; ++i) r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
    for (int i = 0; i < 10; ++i) r.heap.mallocSmall(0, c32, true, kHeld + 1, Bytes(32));
  };
  Rig r1, r2;
  std::vector<ObjectRef> tag1, tag2;
  build(r1, tag1);
  build(r2, tag2);
  Rng rng1(42), rng2(42);
  EXPECT_EQ(r1.heap.retag(kHeld, 500, 0.5, rng1).v, 50 * 32);
  EXPECT_EQ(r2.heap.retag(kHeld, 500, 0.5, rng2).v, 50 * 32);
  const auto moved1 = slotsWithDeath(r1.heap, tag1, 500);
  const auto moved2 = slotsWithDeath(r2.heap, tag2, 500);
  EXPECT_EQ(moved1.size(), 50u);
  EXPECT_EQ(moved1, moved2) << "same seed, same choice";
  EXPECT_EQ(slotsWithDeath(r1.heap, tag1, kHeld).size(), 50u);
  // A uniform sample of 50 out of 100 is (with probability 1 - 1/C(100,50)) not the prefix.
  std::set<std::pair<uint32_t, uint32_t>> prefix;
  for (int i = 0; i < 50; ++i) prefix.insert({tag1[i].span, tag1[i].slot});
  EXPECT_NE(moved1, prefix);
  // The ledger: 130 objects until tick 499, 80 from tick 500.
  EXPECT_EQ(r1.ledger.reachableAt(499).objects, 130);
  EXPECT_EQ(r1.ledger.reachableAt(500).objects, 80);
  // A second retag of the same tag: round(0.5 * 50) = 25; the other tag is untouched.
  EXPECT_EQ(r1.heap.retag(kHeld, 600, 0.5, rng1).v, 25 * 32);
  EXPECT_EQ(r1.heap.retag(kHeld + 1, 700, 1.0, rng1).v, 10 * 32);
  EXPECT_EQ(r1.heap.retag(kHeld + 2, 700, 1.0, rng1).v, 0);
}

TEST(MHeap, RetagRoundsHalfUp) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  for (int i = 0; i < 7; ++i) r.heap.mallocSmall(0, c32, true, kHeld, Bytes(32));
  Rng rng(1);
  EXPECT_EQ(r.heap.retag(kHeld, 50, 0.5, rng).v, 4 * 32) << "round(3.5) = 4";
  EXPECT_EQ(r.heap.retag(kHeld, 50, 0.0, rng).v, 0);
}

TEST(MHeap, HeapAllocFallsOnlyWhenSpansAreSwept) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  std::vector<ObjectRef> objs;
  for (int i = 0; i < 3 * 256; ++i) objs.push_back(r.heap.mallocSmall(0, c32, true, kHeld, Bytes(32)));
  EXPECT_EQ(r.heap.heapAlloc().v, 768 * 32);
  for (const auto& o : objs) r.heap.setDeath(o, 5);  // the program drops everything
  EXPECT_EQ(r.heap.heapAlloc().v, 768 * 32) << "dropping references frees nothing";
  EXPECT_EQ(r.ledger.reachableAt(5).bytes, 0);
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(5, Bytes(0));
  EXPECT_EQ(r.heap.heapAlloc().v, 768 * 32) << "the mark alone frees nothing";
  EXPECT_EQ(r.hooks.sweepDoneCalls, 0);
  for (int k = 2; k >= 0; --k) {
    ASSERT_TRUE(r.heap.sweepOne());
    EXPECT_EQ(r.heap.heapAlloc().v, k * 256 * 32);
    EXPECT_EQ(r.pages.inUse().v, k);
  }
  EXPECT_FALSE(r.heap.sweepOne());
  EXPECT_EQ(r.heap.totalFree().v, 768 * 32);
  EXPECT_EQ(r.heap.frees(), 768);
  EXPECT_EQ(r.hooks.sweepDoneCalls, 1);
}

TEST(MHeap, SweepDoneFiresOncePerCycleWhenOnlyCachedSpansAreLeft) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  r.heap.mallocSmall(1, c32, true, kForever, Bytes(32));
  r.heap.startSweepCycle(1, Bytes(64));
  EXPECT_TRUE(r.heap.isSweepDone());
  if (r.hooks.sweepDoneCalls != 1)
    FAIL() << "regression: MHeapHooks::sweepDone (\"the last unswept span was swept\") fired "
                 << r.hooks.sweepDoneCalls
                 << " times for one sweep cycle: startSweepCycle's releaseAllCaches sweeps each "
                    "stale cached span through uncacheSpan (unswept_ 0 -> 1 -> 0 fires the hook "
                    "each time), then startSweepCycle fires it again because unswept_ == 0.";
  EXPECT_EQ(r.hooks.sweepDoneCalls, 1);
}

TEST(MHeap, SweepDoneFiresEvenWhenThereIsNothingToSweep) {
  Rig r;
  r.heap.startSweepCycle(1, Bytes(0));  // an empty heap
  EXPECT_TRUE(r.heap.isSweepDone());
  EXPECT_EQ(r.hooks.sweepDoneCalls, 1);
  // A heap whose spans are all on the central lists and all survive.
  const int c32 = r.cls(32, 1, 256);
  for (int i = 0; i < 300; ++i) r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(2, Bytes(300 * 32));
  EXPECT_EQ(r.hooks.sweepDoneCalls, 1) << "two spans are still unswept";
  r.heap.finishSweep();
  EXPECT_EQ(r.hooks.sweepDoneCalls, 2);
  EXPECT_EQ(r.heap.heapAlloc().v, 300 * 32);
}

// Full spans whose objects all outlive the mark (quiet spans, swept in bulk) still cost a
// sweep each per cycle: spans, pages and CPU as if swept one by one, and sweepFor's budget
// stops where one-by-one sweeping would.
TEST(MHeap, QuietFullSpansAreSweptEveryCycleAsIfOneByOne) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  for (int i = 0; i < 10 * 256; ++i) r.heap.mallocSmall(0, c32, true, kHeld, Bytes(32));
  r.heap.releaseAllCaches();
  for (int cycle = 1; cycle <= 3; ++cycle) {
    r.heap.startSweepCycle(static_cast<DeathTick>(10 * cycle), Bytes(10 * 8192));
    EXPECT_FALSE(r.heap.isSweepDone());
    r.heap.takeMutatorSweepNs();
    EXPECT_EQ(r.heap.sweepFor(3000), 3 * kSweepNsPerSpan) << "1200, 2400, then 3600 >= 3000";
    EXPECT_EQ(r.heap.sweepStats().spansSwept, 3);
    ASSERT_TRUE(r.heap.sweepOne());
    EXPECT_EQ(r.heap.sweepStats().spansSwept, 4);
    r.heap.finishSweep();
    EXPECT_TRUE(r.heap.isSweepDone());
    EXPECT_EQ(r.hooks.sweepDoneCalls, cycle);
    EXPECT_EQ(r.heap.sweepStats().spansSwept, 10) << "cycle " << cycle;
    EXPECT_EQ(r.heap.sweepStats().pagesSwept, 10);
    EXPECT_EQ(r.heap.sweepStats().objectsFreed, 0);
    EXPECT_EQ(r.heap.takeMutatorSweepNs(), 7 * kSweepNsPerSpan) << "sweepOne and finishSweep";
    EXPECT_FALSE(r.heap.sweepOne());
  }
  EXPECT_EQ(r.heap.heapAlloc().v, 10 * 256 * 32);
  EXPECT_EQ(r.heap.spansInUse(), 10);
}

// `spans` full spans of held 32 B objects, made quiet by their first sweep (a mark at tick 10).
std::vector<ObjectRef> quietSpansOf32B(Rig& r, int spans) {
  const int c32 = r.cls(32, 1, 256);
  std::vector<ObjectRef> objs;
  for (int i = 0; i < spans * 256; ++i) objs.push_back(r.heap.mallocSmall(0, c32, true, kHeld, Bytes(32)));
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(10, Bytes(spans * 8192));
  r.heap.finishSweep();
  return objs;
}

// A quiet span whose object the program drops (setDeath) or whose set shrinks (retag) is swept
// for real by the next mark that finds the object dead, and its slot is reused.
TEST(MHeap, AQuietSpanIsSweptForRealOnceOneOfItsObjectsDies) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  const std::vector<ObjectRef> objs = quietSpansOf32B(r, 4);
  r.heap.startSweepCycle(20, Bytes(4 * 8192));  // swept in bulk
  r.heap.finishSweep();
  r.heap.setDeath(objs[5], 25);  // dropped after the mark at 20
  Rng rng(7);
  r.heap.retag(kHeld, 35, 1.0 / 1024, rng);  // one object of the set, somewhere
  r.heap.startSweepCycle(30, Bytes(0));  // finds objs[5] dead, not the retagged one yet
  r.heap.finishSweep();
  EXPECT_EQ(r.heap.sweepStats().spansSwept, 4);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 1);
  EXPECT_EQ(r.heap.heapAlloc().v, (4 * 256 - 1) * 32);
  const ObjectRef again = r.heap.mallocSmall(1, c32, true, kHeld, Bytes(32));
  EXPECT_EQ(again.span, objs[5].span) << "the freed slot is found by cacheSpan";
  EXPECT_EQ(again.slot, objs[5].slot);
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(40, Bytes(0));  // the retagged object is dead now
  r.heap.finishSweep();
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 1);
  EXPECT_EQ(r.heap.heapAlloc().v, (4 * 256 - 1) * 32);
}

// An object of a quiet span dropped at or before the current mark (the runtime's sweep frees
// what died by the mark) is freed by this cycle's sweep, as for any other span.
TEST(MHeap, AnObjectOfAnUnsweptQuietSpanDroppedBeforeTheMarkIsFreedThisCycle) {
  Rig r;
  const std::vector<ObjectRef> objs = quietSpansOf32B(r, 2);
  r.heap.startSweepCycle(20, Bytes(2 * 8192));
  r.heap.setDeath(objs[300], 20);
  r.heap.finishSweep();
  EXPECT_EQ(r.heap.sweepStats().spansSwept, 2);
  EXPECT_EQ(r.heap.sweepStats().objectsFreed, 1);
  EXPECT_EQ(r.heap.heapAlloc().v, (2 * 256 - 1) * 32);
}

TEST(MHeap, ProportionalSweepSweepsOnePagePerPacedBytes) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  const int c8k = r.cls(8192, 1, 1);
  for (int i = 0; i < 100 * 256; ++i) r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(1, Bytes(100 * kPageSize));
  ASSERT_EQ(r.heap.sweepStats().pagesSwept, 0);
  // gcPaceSweeper: (100 pages) / (trigger - heapLive - 1 MiB = 100 pages of bytes): one page
  // per 8 KiB allocated.
  r.heap.paceSweeper(Bytes(100 * kPageSize + MiB(1).v + 100 * kPageSize));
  for (int i = 1; i <= 10; ++i) {
    r.heap.mallocSmall(0, c8k, true, kForever, Bytes(8));
    EXPECT_EQ(r.heap.sweepStats().pagesSwept, i);
  }
}

TEST(MHeap, LargeAllocationPaysSweepCreditOnlyBeyondItsOwnReclaim) {
  Rig r;
  const int c32 = r.cls(32, 1, 256);
  for (int i = 0; i < 100 * 256; ++i) r.heap.mallocSmall(0, c32, true, kForever, Bytes(32));
  r.heap.releaseAllCaches();
  r.heap.startSweepCycle(1, Bytes(100 * kPageSize));
  r.heap.paceSweeper(Bytes(100 * kPageSize + MiB(1).v + 100 * kPageSize));
  // mcache.allocLarge: deductSweepCredit(npages*8192, npages) -- "mheap.alloc will also sweep
  // npages, so this only pays the debt down to npage pages". Nothing here is wholly dead, so
  // mheap.reclaim finds nothing: Go sweeps 5 - 5 = 0 pages for a 5-page object.
  r.heap.mallocLarge(Bytes(5 * kPageSize), true, kForever, Bytes(8));
  if (r.heap.sweepStats().pagesSwept != 0)
    FAIL() << "regression: mallocLarge calls deductSweepCredit(spanBytes) without Go's "
                    "callerSweepPages = npages (mcache.allocLarge), so a large allocation sweeps "
                 << r.heap.sweepStats().pagesSwept << " pages proportionally where Go sweeps 0.";
  EXPECT_EQ(r.heap.sweepStats().pagesSwept, 0);
}

TEST(MHeap, FreshSpansAreNotZeroedButReusedPagesAre) {
  Rig r;
  const int c8k = r.cls(8192, 1, 1);
  // Fresh memory (above zeroedBase): only what the program writes becomes resident.
  r.heap.mallocSmall(0, c8k, true, 5, Bytes(100));  // page 0
  EXPECT_EQ(r.os.resident().v, kOsPageSize);
  r.heap.mallocSmall(0, c8k, true, kForever, Bytes(5000));  // page 1
  EXPECT_EQ(r.os.resident().v, 3 * kOsPageSize);
  // Free page 0 (its object died) and release it to the OS.
  r.heap.startSweepCycle(5, Bytes(8192));
  r.heap.finishSweep();
  ASSERT_EQ(r.pages.inUse().v, 1);
  r.releaseAllFree();
  EXPECT_EQ(r.os.resident().v, 2 * kOsPageSize);
  EXPECT_TRUE(r.pages.isScavenged(0));
  // Page 0 is reused (first fit). It lies below zeroedBase, so mallocgc zeroes the whole slot
  // even though the program writes 100 bytes: both OS pages come back.
  const ObjectRef o = r.heap.mallocSmall(0, c8k, true, kForever, Bytes(100));
  EXPECT_EQ(r.os.residentIn(Bytes(0), Bytes(kPageSize)).v, kPageSize);
  EXPECT_EQ(r.os.resident().v, 4 * kOsPageSize);
  EXPECT_EQ(r.hooks.spans.back().growth.v, 0);
  EXPECT_EQ(r.hooks.spans.back().scav.v, kPageSize);
  // A span above the high-water mark is fresh again: 100 bytes -> one OS page.
  const ObjectRef fresh = r.heap.mallocSmall(0, c8k, true, kForever, Bytes(100));
  EXPECT_EQ(r.os.resident().v, 5 * kOsPageSize);
  EXPECT_NE(o.span, fresh.span);
}

TEST(MHeap, ReusedLargeSpanIsZeroedWhole) {
  Rig r;
  r.heap.mallocLarge(Bytes(4 * kPageSize), true, 5, Bytes(10));
  EXPECT_EQ(r.os.resident().v, kOsPageSize);
  r.heap.startSweepCycle(5, Bytes(0));
  r.heap.finishSweep();
  ASSERT_EQ(r.pages.inUse().v, 0);
  r.heap.mallocLarge(Bytes(4 * kPageSize), true, kForever, Bytes(10));
  EXPECT_EQ(r.os.resident().v, 4 * kPageSize) << "needzero: the whole span is cleared";
}

}  // namespace
}  // namespace gomemsim
