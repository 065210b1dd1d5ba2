// Unit tests for sysmon-5min (Go 1.11/1.12 proc.go sysmon, mheap.go scavenge / scavengelist /
// freeSpanLocked / grow / scavengeLargest, gccgo copies): when a pass comes, which free spans it
// releases on a small heap whose free times are set by hand, and Go 1.12's heap-growth
// scavenging with its credit.
#include <gtest/gtest.h>

#include <map>

#include "scavenger/scavenger.h"
#include "scavenger/scavenger_test_support.h"

namespace gomemsim {
namespace {

using namespace testing_support;

SimTime at(int64_t seconds) { return SimTime(Seconds(seconds).v); }

TEST(Sysmon5Min, PassesEveryTwoAndAHalfMinutesAskingForSpansIdleOverFiveMinutes) {
  auto s = makeScavenger("sysmon-5min");
  EXPECT_TRUE(s->needsFreeTimes());
  // sysmon: lastscavenge = nanotime() at start; a pass when lastscavenge + scavengelimit/2 < now.
  ASSERT_TRUE(s->nextWake().has_value());
  EXPECT_EQ(*s->nextWake(), at(150));
  // GCs and sweeping do not move it.
  s->paced(pacing(30 * kMiB, 20 * kMiB, 10 * kMiB, 100 * kMiB));
  s->sweepDone(at(10), kTestSysmonDelay);
  EXPECT_EQ(*s->nextWake(), at(150));
  const ScavengeRequest r = s->runBatch(at(150), view(100 * kMiB, 60 * kMiB));
  EXPECT_EQ(r.bytes.v, 60 * kMiB) << "every free span that qualifies";
  ASSERT_TRUE(r.select.freedBefore.has_value());
  EXPECT_EQ(*r.select.freedBefore, at(150 - 300)) << "now - unusedsince > scavengelimit";
  EXPECT_EQ(r.select.order, ScavengeOrder::HighestAddress);
  EXPECT_EQ(*s->nextWake(), at(300));
  // With nothing free the pass still happens and the next is 2.5 minutes later.
  EXPECT_EQ(s->runBatch(at(300), view(100 * kMiB, 0)).bytes.v, 0);
  EXPECT_EQ(*s->nextWake(), at(450));
}

TEST(Sysmon5Min, ReleasesASpanFreedAtTOnlyAtTheFirstPassAfterTPlusFiveMinutes) {
  SmallHeap h{Pages(512)};
  // Spans (4 pages) with kept 2-page spans between them so that they do not coalesce:
  // A [0,4) X [4,6) B [6,10) X [10,12) D [12,16) E [16,20) X [20,22).
  const int64_t a = h.alloc(4), x1 = h.alloc(2), b = h.alloc(4), x2 = h.alloc(2), d = h.alloc(4), e = h.alloc(4);
  const int64_t x3 = h.alloc(2);
  ASSERT_EQ(x1 + x2 + x3, 4 + 10 + 20);
  auto s = makeScavenger("sysmon-5min");
  std::map<int64_t, int64_t> releasedAt;  // pass time (s) -> pages
  const auto record = [&](SimTime t, int64_t got) { releasedAt[t.ns / 1000000000] += got; };

  h.freeAt(at(10), d, 4);
  h.freeAt(at(100), b, 4);
  h.runWorkerUntil(*s, at(149), record);
  h.freeAt(at(149), a, 4);
  h.runWorkerUntil(*s, at(150), record);  // pass at 150
  // E merges with D (freed at 10 s): the merged span takes E's stamp, D's clock restarts.
  h.freeAt(at(200), e, 4);
  EXPECT_EQ(h.pages.freeSince(d), at(200));
  EXPECT_EQ(h.pages.freeSince(b), at(100));
  h.runWorkerUntil(*s, at(900), record);

  EXPECT_EQ(releasedAt[150], 0);
  EXPECT_EQ(releasedAt[300], 0) << "B has been free 200 s, D 290 s";
  EXPECT_EQ(releasedAt[450], 8) << "B (free 350 s) and A (free 301 s)";
  EXPECT_EQ(releasedAt[600], 8) << "D+E, free since 200 s (400 s)";
  EXPECT_EQ(releasedAt[750], 0);
  EXPECT_TRUE(h.pages.isScavenged(a) && h.pages.isScavenged(b) && h.pages.isScavenged(d) && h.pages.isScavenged(e + 3));
  EXPECT_FALSE(h.pages.isScavenged(x1) || h.pages.isScavenged(x2) || h.pages.isScavenged(x3));
  EXPECT_EQ(h.pages.freeRetained().v, 0);
}

TEST(Sysmon5Min, AgeMustExceedTheLimitStrictly) {
  SmallHeap h{Pages(512)};
  const int64_t a = h.alloc(4);
  h.alloc(1);
  auto s = makeScavenger("sysmon-5min");
  std::map<int64_t, int64_t> releasedAt;
  const auto record = [&](SimTime t, int64_t got) { releasedAt[t.ns / 1000000000] += got; };
  h.runWorkerUntil(*s, at(150), record);
  h.freeAt(at(150), a, 4);  // freed at the pass instant, after the pass
  h.runWorkerUntil(*s, at(700), record);
  EXPECT_EQ(releasedAt[450], 0) << "free exactly 300 s: now - unusedsince > limit is false";
  EXPECT_EQ(releasedAt[600], 4);
}

TEST(Sysmon5Min, ParamsChangeTheLimitAndThePeriod) {
  ScavengerParams p;
  p.idleThreshold = Seconds(60);
  auto s = makeScavenger("sysmon-5min", p);
  EXPECT_EQ(*s->nextWake(), at(30)) << "period defaults to half the limit, as scavengelimit/2";
  p.period = Seconds(20);
  auto t = makeScavenger("sysmon-5min", p);
  EXPECT_EQ(*t->nextWake(), at(20));
  const ScavengeRequest r = t->runBatch(at(20), view(10 * kMiB, 4 * kMiB));
  EXPECT_EQ(*r.select.freedBefore, at(-40));
  EXPECT_EQ(*t->nextWake(), at(40));
}

TEST(Sysmon5Min, Go111DoesNoEagerScavenging) {
  auto s = makeScavenger("sysmon-5min", {}, &goRelease("1.11"));
  const SpanAllocation grew{MiB(4), MiB(4), Bytes(0), Bytes(kPageSize)};
  const SpanAllocation reused{Bytes(0), Bytes(kPageSize), Bytes(kPageSize), Bytes(kPageSize)};
  EXPECT_EQ(s->eager(grew, view(100 * kMiB, 50 * kMiB), std::nullopt).bytes.v, 0);
  EXPECT_EQ(s->eager(reused, view(100 * kMiB, 50 * kMiB), std::nullopt).bytes.v, 0);
}

TEST(Sysmon5Min, Go112ScavengesTheLargestSpansOnGrowthKeepingTheExcessAsCredit) {
  // Free runs of 800, 300 and 100 pages in a fully allocated 2048-page heap.
  SmallHeap h{Pages(2048)};
  h.alloc(2048);
  h.freeAt(at(1), 100, 800);
  h.freeAt(at(1), 1000, 300);
  h.freeAt(at(1), 1500, 100);
  auto s = makeScavenger("sysmon-5min", {}, &goRelease("1.12"));
  const auto eager = [&](SpanAllocation a) {
    const ScavengeRequest r = s->eager(a, h.view(), std::nullopt);
    if (r.bytes.v > 0) {
      EXPECT_EQ(r.select.order, ScavengeOrder::LargestRunFirst);
      s->eagerDone(toBytes(Pages(h.release(r))));
    }
    return r.bytes.v;
  };
  // mheap.grow(4 MiB): scavengeLargest(4 MiB) releases the whole 800-page span (6.25 MiB);
  // 2.25 MiB over becomes scavengeCredit.
  EXPECT_EQ(eager(SpanAllocation{MiB(4), MiB(4), Bytes(0), Bytes(kPageSize)}), 4 * kMiB);
  EXPECT_TRUE(h.pages.isScavenged(100) && h.pages.isScavenged(899));
  EXPECT_FALSE(h.pages.isScavenged(1000));
  // Next growth: 4 MiB - 2.25 MiB credit = 1.75 MiB asked; the 300-page span (2.34375 MiB) goes.
  EXPECT_EQ(eager(SpanAllocation{MiB(4), MiB(4), Bytes(0), Bytes(kPageSize)}), 7 * kMiB / 4);
  EXPECT_TRUE(h.pages.isScavenged(1000) && h.pages.isScavenged(1299));
  // A span allocated out of released memory: scavengeLargest(span bytes) = 8 KiB, paid from
  // the 0.59375 MiB credit left.
  EXPECT_EQ(eager(SpanAllocation{Bytes(0), Bytes(kPageSize), Bytes(kPageSize), Bytes(kPageSize)}), 0);
  EXPECT_FALSE(h.pages.isScavenged(1500));
  // Fresh growth memory allocated later is not "released" in Go 1.12: no scavenging for it.
  EXPECT_EQ(eager(SpanAllocation{Bytes(0), Bytes(kPageSize), Bytes(0), Bytes(kPageSize)}), 0);
  // Credit left: 608 KiB - 8 KiB = 600 KiB; a 1 MiB span out of released memory asks 424 KiB
  // and takes the 100-page span whole.
  EXPECT_EQ(eager(SpanAllocation{Bytes(0), MiB(1), MiB(1), MiB(1)}), 424 * 1024);
  EXPECT_TRUE(h.pages.isScavenged(1500) && h.pages.isScavenged(1599));
}

}  // namespace
}  // namespace gomemsim
