#include "common/bitmap.h"

#include <gtest/gtest.h>

#include "common/rng.h"

namespace gomemsim {
namespace {

TEST(Bitmap, Popcount64MatchesBitByBitCount) {
  Rng rng(1);
  for (int i = 0; i < 10000; ++i) {
    uint64_t x = rng.next();
    if (i % 3 == 0) x &= rng.next();  // sparser words too
    int naive = 0;
    for (int b = 0; b < 64; ++b) naive += static_cast<int>((x >> b) & 1);
    ASSERT_EQ(popcount64(x), naive) << x;
  }
  EXPECT_EQ(popcount64(0), 0);
  EXPECT_EQ(popcount64(~uint64_t{0}), 64);
}

TEST(Bitmap, SetClearAndCountRanges) {
  Bitmap b;
  b.resize(300);
  EXPECT_EQ(b.setRange(10, 100), 100);   // bits newly set
  EXPECT_EQ(b.setRange(50, 100), 40);    // 50..109 were set already
  EXPECT_EQ(b.count(0, 300), 140);
  EXPECT_EQ(b.clearRange(0, 64), 54);
  EXPECT_EQ(b.count(64, 236), 86);
  EXPECT_FALSE(b.get(63));
  EXPECT_TRUE(b.get(64));
  EXPECT_EQ(b.findNext(0, true), 64);
  EXPECT_EQ(b.findNext(64, false), 150);
}

}  // namespace
}  // namespace gomemsim
