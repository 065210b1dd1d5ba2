#include "os/os_memory.h"

#include <gtest/gtest.h>

#include "common/rng.h"

namespace gomemsim {
namespace {

TEST(OsMemory, MappingMakesNothingResidentTouchDoes) {
  OsMemory os(MadviseMode::DontNeed);
  os.mapUpTo(MiB(4));
  EXPECT_EQ(os.resident().v, 0);
  os.touch(Bytes(100), Bytes(8));  // one byte range inside page 0
  EXPECT_EQ(os.resident().v, 4096);
  os.touch(Bytes(4000), Bytes(200));  // straddles pages 0 and 1
  EXPECT_EQ(os.resident().v, 8192);
  os.touch(Bytes(0), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
}

TEST(OsMemory, DontNeedDropsAtOnce) {
  OsMemory os(MadviseMode::DontNeed);
  os.mapUpTo(MiB(4));
  os.touch(Bytes(0), MiB(2));
  os.release(MiB(1), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
  EXPECT_EQ(os.lazyFree().v, 0);
  // Partial OS pages at the edges are not released.
  os.release(Bytes(100), Bytes(5000));
  EXPECT_EQ(os.resident(), MiB(1));
}

TEST(OsMemory, FreeKeepsPagesResidentUntilPressure) {
  OsMemory os(MadviseMode::Free);
  os.mapUpTo(MiB(4));
  os.touch(Bytes(0), MiB(2));
  os.release(Bytes(0), MiB(2));
  EXPECT_EQ(os.resident(), MiB(2));
  EXPECT_EQ(os.lazyFree(), MiB(2));
  os.touch(Bytes(0), KiB(8));  // written again before reclaim: ordinary page again
  EXPECT_EQ(os.lazyFree(), MiB(2) - KiB(8));
  EXPECT_EQ(os.reclaimLazyFree(MiB(1)), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
  EXPECT_EQ(os.reclaimLazyFree(MiB(8)), MiB(1) - KiB(8));
  EXPECT_EQ(os.resident(), KiB(8));
  EXPECT_EQ(os.lazyFree().v, 0);
}

// The whole-bitmap pass must agree with counting run by run.
TEST(OsMemory, ResidentInFreePagesMatchesRunByRunCount) {
  OsMemory os(MadviseMode::Free);
  const int64_t heapPages = 700;  // runtime pages, not a multiple of 32
  os.mapUpTo(toBytes(Pages(heapPages)));
  Rng rng(4);
  Bitmap inUse;
  inUse.resize(heapPages);
  for (int64_t p = 0; p < heapPages; ++p) {
    if (rng.below(3) == 0) inUse.set(p);
    if (rng.below(2) == 0) os.touch(toBytes(Pages(p)) + Bytes(static_cast<int64_t>(rng.below(8192))), Bytes(100));
  }
  for (int i = 0; i < 40; ++i) {  // some MADV_FREE'd ranges
    const int64_t p = static_cast<int64_t>(rng.below(heapPages - 4));
    os.release(toBytes(Pages(p)), toBytes(Pages(3)));
  }
  int64_t expected = 0;
  for (int64_t p = 0; p < heapPages; ++p) {
    if (inUse.get(p)) continue;
    expected += os.residentIn(toBytes(Pages(p)), toBytes(Pages(1))).v - os.lazyFreeIn(toBytes(Pages(p)), toBytes(Pages(1))).v;
  }
  EXPECT_GT(expected, 0);
  EXPECT_GT(os.lazyFree().v, 0);
  EXPECT_EQ(os.residentInFreePages(inUse).v, expected);
}

}  // namespace
}  // namespace gomemsim
