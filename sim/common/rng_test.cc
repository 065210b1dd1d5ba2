#include "common/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gomemsim {
namespace {

TEST(Rng, SameSeedSameDraws) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

// The ziggurat must give the exponential distribution itself: mean, variance and tail mass.
TEST(Rng, ZigguratExponentialHasExponentialMoments) {
  Rng rng(7);
  const int n = 2'000'000;
  double sum = 0, sumSq = 0;
  int over1 = 0, over3 = 0, over8 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.exponential(2.0);
    ASSERT_GE(x, 0.0);
    sum += x;
    sumSq += x * x;
    over1 += x > 2.0;
    over3 += x > 6.0;
    over8 += x > 16.0;  // beyond the ziggurat's tail start (7.697 x mean): the tail path
  }
  const double mean = sum / n;
  const double var = sumSq / n - mean * mean;
  EXPECT_NEAR(mean, 2.0, 0.01);
  EXPECT_NEAR(var, 4.0, 0.05);
  EXPECT_NEAR(static_cast<double>(over1) / n, std::exp(-1.0), 0.002);
  EXPECT_NEAR(static_cast<double>(over3) / n, std::exp(-3.0), 0.001);
  EXPECT_NEAR(static_cast<double>(over8) / n, std::exp(-8.0), 0.0001);
  EXPECT_GT(over8, 0);
}

// Every layer is used: the histogram over 0.25-wide bins follows the density within noise.
TEST(Rng, ZigguratExponentialMatchesDensityByBin) {
  Rng rng(11);
  const int n = 1'000'000;
  int bins[32] = {};
  for (int i = 0; i < n; ++i) {
    const double x = rng.standardExponential();
    const int b = static_cast<int>(x / 0.25);
    if (b < 32) ++bins[b];
  }
  for (int b = 0; b < 32; ++b) {
    const double expected = n * (std::exp(-0.25 * b) - std::exp(-0.25 * (b + 1)));
    EXPECT_NEAR(bins[b], expected, 5 * std::sqrt(expected) + 2) << "bin " << b;
  }
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(3);
  int hits[5] = {};
  for (int i = 0; i < 50000; ++i) {
    const uint64_t x = rng.below(5);
    ASSERT_LT(x, 5u);
    ++hits[x];
  }
  for (int h : hits) EXPECT_NEAR(h, 10000, 500);
}

}  // namespace
}  // namespace gomemsim
