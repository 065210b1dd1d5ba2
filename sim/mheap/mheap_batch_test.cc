// mallocSmallBatch must place objects exactly as the same sequence of mallocSmall calls does:
// same slots, same spans, same accounting, across refills, sweeps and reused spans.
#include <gtest/gtest.h>

#include <vector>

#include "mheap/mheap.h"
#include "mheap/mheap_test_support.h"

namespace gomemsim {
namespace {

using mheap_testing::Rig;

// Deaths 1..40 ticks ahead, some held forever.
void draw(Rng& rng, int n, std::vector<DeathTick>& deaths, DeathTick now) {
  deaths.clear();
  for (int j = 0; j < n; ++j)
    deaths.push_back(rng.below(5) == 0 ? kForever : now + 1 + static_cast<DeathTick>(rng.below(40)));
}

TEST(MHeapBatch, PlacesObjectsAsSingleMallocsDo) {
  Rig a, b;
  Rng rng(99);
  const int c = a.classes.classFor(288);  // 288 B: 28 objects per 8 KiB span
  std::vector<DeathTick> deaths;
  DeathTick now = 0;
  for (int round = 0; round < 60; ++round) {
    const int n = 1 + static_cast<int>(rng.below(90));
    draw(rng, n, deaths, now);
    const Bytes touch(static_cast<int64_t>(rng.below(300)));  // residency differs per batch
    std::vector<ObjectRef> batch(static_cast<size_t>(n));
    a.heap.mallocSmallBatch(round % 2, c, true, deaths.data(), touch, n, batch.data());
    for (int j = 0; j < n; ++j) {
      const ObjectRef r = b.heap.mallocSmall(round % 2, c, true, deaths[static_cast<size_t>(j)], touch);
      ASSERT_EQ(r.span, batch[static_cast<size_t>(j)].span) << "round " << round << " object " << j;
      ASSERT_EQ(r.slot, batch[static_cast<size_t>(j)].slot) << "round " << round << " object " << j;
    }
    if (round % 10 == 9) {  // a GC: mark at `now`, then sweep part of the heap
      now += 20;
      const Bytes marked = Bytes(a.ledger.reachableAt(now).bytes);
      ASSERT_EQ(marked.v, b.ledger.reachableAt(now).bytes);
      a.heap.startSweepCycle(now, marked);
      b.heap.startSweepCycle(now, marked);
      for (int k = 0; k < 3; ++k) {
        a.heap.sweepOne();
        b.heap.sweepOne();
      }
    }
    ASSERT_EQ(a.heap.heapAlloc(), b.heap.heapAlloc());
    ASSERT_EQ(a.heap.heapObjects(), b.heap.heapObjects());
    ASSERT_EQ(a.heap.heapLive(), b.heap.heapLive());
    ASSERT_EQ(a.os.resident(), b.os.resident());
    ASSERT_EQ(a.pages.inUse(), b.pages.inUse());
    ASSERT_EQ(a.hooks.liveGrew, b.hooks.liveGrew);
  }
  EXPECT_GT(a.hooks.spans.size(), 5u);               // refills and fresh spans happened
  EXPECT_GT(a.heap.sweepStats().objectsFreed + 0, 0);
}

}  // namespace
}  // namespace gomemsim
