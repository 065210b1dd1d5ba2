#include "pagealloc/page_alloc.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace gomemsim {
namespace {

void checkAccounting(const PageAllocator& pa) {
  EXPECT_EQ(pa.inUse().v + pa.freeRetained().v + pa.released().v, pa.mapped().v);
}

TEST(PageAllocator, GrowsInFourMiBStepsAndCountsFreshMemoryAsReleased) {
  PageAllocator pa;
  EXPECT_FALSE(pa.alloc(Pages(1)).has_value());
  EXPECT_EQ(pa.grow(Pages(1)).v, 512);
  EXPECT_EQ(pa.released().v, 512);
  EXPECT_EQ(pa.arenas(), 1);
  EXPECT_EQ(pa.grow(Pages(513)).v, 1024);
  checkAccounting(pa);
}

TEST(PageAllocator, FirstFitByAddress) {
  PageAllocator pa;
  pa.grow(Pages(512));
  auto a = pa.alloc(Pages(4));
  auto b = pa.alloc(Pages(4));
  auto c = pa.alloc(Pages(4));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->base, 0);
  EXPECT_EQ(b->base, 4);
  EXPECT_EQ(c->base, 8);
  EXPECT_EQ(a->scavenged, 4);  // fresh memory
  pa.free(a->base, Pages(4));
  pa.free(b->base, Pages(4));
  // A 6-page request fits in the 8-page hole at the bottom.
  auto d = pa.alloc(Pages(6));
  EXPECT_EQ(d->base, 0);
  EXPECT_EQ(d->scavenged, 0);  // reused, was not scavenged
  auto e = pa.alloc(Pages(3));  // hole of 2 too small -> after c
  EXPECT_EQ(e->base, 12);
  auto f = pa.alloc(Pages(2));
  EXPECT_EQ(f->base, 6);
  checkAccounting(pa);
}

TEST(PageAllocator, ScavengesHighestAddressesFirst) {
  // Page 1000 in use, so the top free run [1001, 1024) is smaller than a huge page (no
  // widening: see the next test).
  PageAllocator pa;
  pa.grow(Pages(1024));
  auto a = pa.alloc(Pages(1024));
  pa.free(a->base, Pages(1000));
  pa.free(1001, Pages(23));
  EXPECT_EQ(pa.freeRetained().v, 1023);
  std::vector<PageRun> runs;
  EXPECT_EQ(pa.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 8);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 1016);
  EXPECT_EQ(runs[0].npages, 8);
  EXPECT_EQ(pa.released().v, 8);
  // Everything else; partially-allocated chunks keep their used pages.
  EXPECT_EQ(pa.scavenge(Pages(1 << 20), [](PageRun) {}).v, 1023 - 8);
  EXPECT_EQ(pa.freeRetained().v, 0);
  checkAccounting(pa);
}

TEST(PageAllocator, ScavengeWidensACandidateToTheFreeHugePageItWouldBreak) {
  // Go 1.14+ findScavengeCandidate: 8 pages from the top of a free run that covers the whole
  // 2 MiB huge page below them (256 runtime pages) become that huge page.
  PageAllocator pa;
  pa.grow(Pages(1024));
  auto a = pa.alloc(Pages(1024));
  pa.free(a->base, Pages(1024));
  std::vector<PageRun> runs;
  EXPECT_EQ(pa.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 256);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 768);
  EXPECT_EQ(runs[0].npages, 256);
  // A run that does not reach down to the huge page's start is not widened: page 1000 in use
  // leaves [1001, 1024) free above it.
  PageAllocator pb;
  pb.grow(Pages(1024));
  auto b = pb.alloc(Pages(1024));
  pb.free(b->base, Pages(1000));
  pb.free(1001, Pages(23));
  runs.clear();
  EXPECT_EQ(pb.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 8);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 1016);
  // A candidate inside a huge page that does not reach its upper boundary is not widened
  // either: the run [1001, 1016) below the released pages now ends at 1015.
  runs.clear();
  EXPECT_EQ(pb.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 8);
  EXPECT_EQ(runs[0].base, 1008);
  checkAccounting(pa);
  checkAccounting(pb);
}

TEST(PageAllocator, ScavengeWidensToTheHugePageAFreeRunStartsAt) {
  // The boundary case of the widening above: a free run that is exactly one huge page (pages
  // 256-511, in-use pages on both sides) still covers the whole huge page below the candidate,
  // so 8 pages asked for release all 256 (findScavengeCandidate: the run may start at the huge
  // page's first page). Releasing only the top 8 would split a free huge page in the kernel.
  PageAllocator pa;
  pa.grow(Pages(1024));
  ASSERT_TRUE(pa.alloc(Pages(1024)).has_value());
  pa.free(256, Pages(256));
  std::vector<PageRun> runs;
  EXPECT_EQ(pa.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 256);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 256);
  EXPECT_EQ(runs[0].npages, 256);
  checkAccounting(pa);
}

TEST(PageAllocator, AllocNeedsZeroOnlyBelowZeroedBase) {
  PageAllocator pa;
  pa.grow(Pages(512));
  auto a = pa.alloc(Pages(10));
  EXPECT_FALSE(pa.allocNeedsZero(a->base, Pages(10)));
  pa.free(a->base, Pages(10));
  auto b = pa.alloc(Pages(20));
  EXPECT_EQ(b->base, 0);
  EXPECT_TRUE(pa.allocNeedsZero(b->base, Pages(20)));
  auto c = pa.alloc(Pages(5));
  EXPECT_FALSE(pa.allocNeedsZero(c->base, Pages(5)));
}

// --- the mechanism the scavenger policies select from ---------------------------------------

std::vector<PageRun> releaseAll(PageAllocator& pa, const ScavengeSelect& sel, int64_t max = 1 << 20) {
  std::vector<PageRun> runs;
  pa.scavenge(Pages(max), sel, [&](PageRun r) { runs.push_back(r); });
  return runs;
}

SimTime at(int64_t seconds) { return SimTime(Seconds(seconds).v); }

TEST(PageAllocator, FreeTimesFollowGo111Coalescing) {
  SimTime now;
  PageAllocator pa;
  pa.trackFreeTimes(&now);
  pa.grow(Pages(512));  // fresh memory: free since 0
  EXPECT_EQ(pa.freeSince(0), at(0));
  const int64_t a = pa.alloc(Pages(10))->base;  // [0,10)
  const int64_t b = pa.alloc(Pages(10))->base;  // [10,20)
  pa.alloc(Pages(10));                          // [20,30), kept
  EXPECT_FALSE(pa.freeSince(a).has_value()) << "allocated";
  EXPECT_EQ(pa.freeSince(30), at(0)) << "the remainder keeps its stamp";
  now = at(100);
  pa.free(a, Pages(10));
  EXPECT_EQ(pa.freeSince(a + 9), at(100));
  now = at(200);
  pa.free(b, Pages(10));  // coalesces with a: the merged run takes the new stamp
  EXPECT_EQ(pa.freeSince(a), at(200));
  EXPECT_EQ(pa.freeSince(b + 9), at(200));
  EXPECT_EQ(pa.freeSince(30), at(0)) << "not adjacent: [20,30) is in use";
  now = at(300);
  const auto c = pa.alloc(Pages(4));  // first fit: [0,4) out of the run [0,20)
  ASSERT_EQ(c->base, 0);
  EXPECT_EQ(pa.freeSince(4), at(200)) << "an allocation's trimmed remainder keeps unusedsince";
  now = at(400);
  pa.grow(Pages(1));  // mheap.grow frees the new memory: it merges with the top run
  EXPECT_EQ(pa.freeSince(30), at(400));
  EXPECT_EQ(pa.freeSince(1023), at(400));
  checkAccounting(pa);
}

TEST(PageAllocator, FreedBeforeReleasesOnlyRunsFreeSinceEarlier) {
  SimTime now;
  PageAllocator pa;
  pa.trackFreeTimes(&now);
  pa.grow(Pages(512));
  pa.alloc(Pages(512));
  now = at(10);
  pa.free(100, Pages(50));
  now = at(20);
  pa.free(300, Pages(30));
  ScavengeSelect sel;
  sel.freedBefore = at(20);  // strictly earlier: the run freed at 20 s stays
  const auto runs = releaseAll(pa, sel);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 100);
  EXPECT_EQ(runs[0].npages, 50);
  sel.freedBefore = at(21);
  EXPECT_EQ(releaseAll(pa, sel).size(), 1u);
  EXPECT_EQ(pa.freeRetained().v, 0);
  checkAccounting(pa);
  PageAllocator untracked;
  untracked.grow(Pages(512));
  EXPECT_THROW(releaseAll(untracked, sel), std::logic_error);
}

TEST(PageAllocator, LargestRunFirstReleasesWholeRuns) {
  PageAllocator pa;
  pa.grow(Pages(1024));
  pa.alloc(Pages(1024));
  pa.free(10, Pages(20));
  pa.free(100, Pages(300));  // the largest
  pa.free(500, Pages(20));   // [500,520) crosses into chunk 1: still one run
  ScavengeSelect sel;
  sel.order = ScavengeOrder::LargestRunFirst;
  auto runs = releaseAll(pa, sel, 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 100);
  EXPECT_EQ(runs[0].npages, 300) << "a whole span even though one page was asked";
  runs = releaseAll(pa, sel, 1);  // equal sizes: the higher address first
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 500);
  EXPECT_EQ(runs[0].npages, 20);
  EXPECT_EQ(pa.freeRetained().v, 20);
  checkAccounting(pa);
}

TEST(PageAllocator, LastAllocationTellsReleasedAfterUseFromFreshMemory) {
  PageAllocator pa;
  pa.grow(Pages(512));
  auto a = pa.alloc(Pages(8));
  pa.allocNeedsZero(a->base, Pages(8));  // as mheap.allocSpan does: zeroedBase = 8
  EXPECT_EQ(pa.lastAllocation().scavenged, 8);
  EXPECT_EQ(pa.lastAllocation().reusedReleased, 0) << "fresh growth";
  pa.free(a->base, Pages(8));
  pa.scavenge(Pages(4), [](PageRun) {});  // releases [4,8)
  auto b = pa.alloc(Pages(10));           // [0,10): 4 released after use, 2 fresh
  ASSERT_EQ(b->base, 0);
  EXPECT_EQ(pa.lastAllocation().npages, 10);
  EXPECT_EQ(pa.lastAllocation().scavenged, 6);
  EXPECT_EQ(pa.lastAllocation().reusedReleased, 4);
}

TEST(PageAllocator, GenerationalScanSkipsDenseChunksAndWaitsForTheCursor) {
  // Go 1.21 scavChunkData: lastInUse is inUse at the first alloc/free of a generation; a chunk
  // is dense if either is >= 496 pages. searchAddrBg rises only at nextGen.
  PageAllocator pa;
  pa.grow(Pages(3 * kChunkPages));
  pa.alloc(Pages(3 * kChunkPages));  // generation 0: every chunk full
  ScavengeSelect gen;
  gen.generational = true;
  pa.free(0, Pages(100));  // chunk 0: 412 in use
  EXPECT_TRUE(releaseAll(pa, gen).empty()) << "searchAddrBg starts cleared";
  pa.nextScavengeGen();  // generation 1: cursor = page 99
  pa.free(200, Pages(10));                // chunk 0: not dense, but above the cursor
  pa.free(kChunkPages, Pages(17));        // chunk 1: 495 in use, lastInUse 512: dense
  pa.free(2 * kChunkPages, Pages(20));    // chunk 2: 492 in use, lastInUse 512: dense
  EXPECT_TRUE(pa.backgroundMayScavenge(0));
  EXPECT_FALSE(pa.backgroundMayScavenge(1));
  EXPECT_FALSE(pa.backgroundMayScavenge(2));
  auto runs = releaseAll(pa, gen);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 0);
  EXPECT_EQ(runs[0].npages, 100);
  pa.nextScavengeGen();  // generation 2: cursor = the highest page freed in generation 1
  EXPECT_TRUE(pa.backgroundMayScavenge(1)) << "495 < 496 once the dense generation is over";
  EXPECT_TRUE(pa.backgroundMayScavenge(2));
  runs = releaseAll(pa, gen);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].base, 2 * kChunkPages);
  EXPECT_EQ(runs[1].base, kChunkPages);
  EXPECT_EQ(runs[2].base, 200);
  // Allocating up to the threshold makes a chunk dense at once.
  ASSERT_EQ(pa.alloc(Pages(95))->base, 0);  // chunk 0: 497 in use
  pa.free(94, Pages(1));                    // 496: still dense
  EXPECT_FALSE(pa.backgroundMayScavenge(0));
  EXPECT_TRUE(releaseAll(pa, gen).empty());
  // A forced scan (the default) ignores density and the cursor.
  runs = releaseAll(pa, ScavengeSelect{});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 94);
  EXPECT_EQ(pa.freeRetained().v, 0);
  checkAccounting(pa);
}

}  // namespace
}  // namespace gomemsim
