#include "workload/workload.h"

#include <gtest/gtest.h>

namespace gomemsim {
namespace {

// The seed program at a tenth of its size: 100 appends of 10 MiB to a []byte. Real Go 1.19
// (its first recording, events.csv) ends with cap 1137893376 after 18 growths.
TEST(Growslice, SeedProgramAtOneTenthMatchesRealGo119) {
  const SpanLayout layout = SpanLayout::forRelease(goRelease("1.19"), false);
  int64_t len = 0, cap = 0, grows = 0;
  for (int i = 0; i < 100; ++i) {
    const int64_t newLen = len + (10 << 20);
    if (newLen > cap) {
      cap = roundedCap(growslice118(cap, newLen), Bytes(1), layout, false);
      ++grows;
    }
    len = newLen;
  }
  EXPECT_EQ(len, 1048576000);
  EXPECT_EQ(cap, 1137893376);
  EXPECT_EQ(grows, 18);
}

TEST(Growslice, OldRuleDiffers) {
  EXPECT_EQ(growslice117(2000, 2001), 2500);
  EXPECT_EQ(growslice118(2000, 2001), 2000 + (2000 + 768) / 4);
  EXPECT_EQ(growslice118(100, 150), 200);
  EXPECT_EQ(growslice118(100, 500), 500);
}

TEST(Draws, DeterministicAndWithinBounds) {
  Rng a(7), b(7);
  SizeDist u;
  u.kind = SizeDist::Kind::Uniform;
  u.min = Bytes(10);
  u.max = Bytes(20);
  const SizeSampler su(u);
  for (int i = 0; i < 1000; ++i) {
    const Bytes x = su.draw(a);
    EXPECT_EQ(x, su.draw(b));
    EXPECT_GE(x.v, 10);
    EXPECT_LE(x.v, 20);
  }
  LifetimeDist e;
  e.kind = LifetimeDist::Kind::Exponential;
  e.mean = Milliseconds(500);
  double sum = 0;
  const LifetimeSampler le(e);
  for (int i = 0; i < 100000; ++i) sum += static_cast<double>(le.draw(a).v);
  EXPECT_NEAR(sum / 100000 / 1e6, 500, 10);
  SizeDist c;
  c.kind = SizeDist::Kind::Choice;
  c.choices = {{Bytes(32), 3}, {Bytes(64), 1}};
  int small = 0;
  const SizeSampler sc(c);
  for (int i = 0; i < 40000; ++i) small += sc.draw(a).v == 32;
  EXPECT_NEAR(small / 40000.0, 0.75, 0.01);
}

// The alias table reproduces arbitrary weights, including a zero weight and many choices.
TEST(Draws, AliasTableFollowsTheWeights) {
  SizeDist c;
  c.kind = SizeDist::Kind::Choice;
  const double weights[6] = {5, 0, 1, 2.5, 0.5, 1};
  for (int i = 0; i < 6; ++i) c.choices.push_back({Bytes(8 * (i + 1)), weights[i]});
  const SizeSampler s(c);
  Rng rng(5);
  int hits[6] = {};
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++hits[s.draw(rng).v / 8 - 1];
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(hits[i] / double(n), weights[i] / 10.0, 0.004) << "choice " << i;
  EXPECT_EQ(hits[1], 0);
}

}  // namespace
}  // namespace gomemsim
