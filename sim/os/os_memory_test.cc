#include "os/os_memory.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gomemsim
