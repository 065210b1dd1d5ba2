#include "gc/ledger.h"

#include <gtest/gtest.h>

namespace gomemsim {
namespace {

HeapAmount obj(int64_t bytes) { return HeapAmount{bytes, 1, 0}; }

TEST(Ledger, DeathTicksNeverFallInTheAllocatingTick) {
  const SimTime t(10 * (int64_t{1} << kDeathTickShift) + 5);
  EXPECT_EQ(deathTickFor(t, Duration(0)), 11u);
  EXPECT_EQ(deathTickFor(t, Duration(int64_t{1} << kDeathTickShift)), 12u);
  EXPECT_EQ(deathTickFor(t, Duration(3 * (int64_t{1} << kDeathTickShift))), 14u);
}

TEST(Ledger, ReachableFallsAsDeathsPass) {
  Ledger l;
  l.allocated(5, obj(100));
  l.allocated(7, obj(10));
  l.allocated(kForever, obj(1000));
  l.allocated(kTagBase + 3, obj(50));
  EXPECT_EQ(l.reachableAt(4).bytes, 1160);
  EXPECT_EQ(l.reachableAt(5).bytes, 1060);
  EXPECT_EQ(l.reachableAt(100).bytes, 1050);
  // A drop of the tagged object at tick 120.
  l.moved(kTagBase + 3, 120, obj(50));
  EXPECT_EQ(l.reachableAt(119).bytes, 1050);
  EXPECT_EQ(l.reachableAt(120).bytes, 1000);
  EXPECT_EQ(l.reachableAt(120).objects, 1);
}

TEST(Ledger, HeldCountsTaggedObjectsUntilADropMovesThem) {
  Ledger l;
  l.allocated(5, obj(100));
  l.allocated(kForever, obj(1000));
  l.allocated(kTagBase + 3, obj(50));
  const DeathTick deaths[] = {9, kTagBase + 3, kTagBase + 3, 12};
  l.allocatedBatch(deaths, 4, obj(8));
  EXPECT_EQ(l.held().bytes, 1000 + 50 + 16);
  EXPECT_EQ(l.held().objects, 4);
  // A drop moves a tagged object to a time: it is timed from then on.
  l.moved(kTagBase + 3, 20, obj(50));
  EXPECT_EQ(l.held().bytes, 1016);
  EXPECT_EQ(l.held().objects, 3);
  // Held objects are part of what is reachable; the rest of it is timed.
  const HeapAmount r = l.reachableAt(10);
  EXPECT_EQ(r.objects - l.held().objects, 2) << "the object dying at 12 and the one moved to 20";
}

TEST(Ledger, FarDeathsAndLongJumps) {
  Ledger l;
  l.allocated(3'000'000, obj(7));   // beyond the ring
  l.allocated(10, obj(1));
  l.allocated(1'000'000, obj(2));
  EXPECT_EQ(l.reachableAt(9).bytes, 10);
  EXPECT_EQ(l.reachableAt(999'999).bytes, 9);
  EXPECT_EQ(l.reachableAt(2'999'999).bytes, 7);
  EXPECT_EQ(l.reachableAt(3'000'000).bytes, 0);
  // A death scheduled in the past counts at once; a later move resurrects it.
  l.allocated(5, obj(4));
  EXPECT_EQ(l.reachableAt(3'000'001).bytes, 0);
  l.moved(5, 4'000'000, obj(4));
  EXPECT_EQ(l.reachableAt(3'000'002).bytes, 4);
}

}  // namespace
}  // namespace gomemsim
