#include "pagealloc/page_alloc.h"

#include <gtest/gtest.h>

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
  PageAllocator pa;
  pa.grow(Pages(1024));
  auto a = pa.alloc(Pages(1024));
  pa.free(a->base, Pages(1024));
  EXPECT_EQ(pa.freeRetained().v, 1024);
  std::vector<PageRun> runs;
  EXPECT_EQ(pa.scavenge(Pages(8), [&](PageRun r) { runs.push_back(r); }).v, 8);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].base, 1016);
  EXPECT_EQ(runs[0].npages, 8);
  EXPECT_EQ(pa.released().v, 8);
  // Everything else; partially-allocated chunks keep their used pages.
  auto b = pa.alloc(Pages(1));
  EXPECT_EQ(b->base, 0);
  EXPECT_EQ(pa.scavenge(Pages(1 << 20), [](PageRun) {}).v, 1023 - 8);
  EXPECT_EQ(pa.freeRetained().v, 0);
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

}  // namespace
}  // namespace gomemsim
