#include "common/pi_controller.h"

#include <gtest/gtest.h>

#include <limits>

namespace gomemsim {
namespace {

TEST(PiController, ProportionalThenIntegralAsGoComputesIt) {
  // go1.19 mgcpacer.go piController.next: output = clamp(kp x err + integral); the integral grows
  // by kp x period / ti x err.
  PiController c{0.5, 2.0, 1e9, -10, 10};
  EXPECT_DOUBLE_EQ(*c.next(1.0, 3.0, 1.0), 0.5 * 2.0);           // integral was 0
  EXPECT_DOUBLE_EQ(c.errIntegral, 0.5 * 1.0 / 2.0 * 2.0);
  EXPECT_DOUBLE_EQ(*c.next(1.0, 3.0, 1.0), 0.5 * 2.0 + 0.5);
}

TEST(PiController, ClampsAndUnwindsTheIntegralWhileSaturated) {
  PiController c{1.0, 1.0, 1.0, 0.0, 1.0};
  EXPECT_DOUBLE_EQ(*c.next(0.0, 5.0, 1.0), 1.0);  // raw 5, clamped to max
  // Anti-windup: the integral gained 5 but lost (period / tt) x (5 - 1) = 4.
  EXPECT_DOUBLE_EQ(c.errIntegral, 1.0);
}

TEST(PiController, OverflowResetsAndReportsNotOk) {
  PiController c{1.0, 1.0, 1.0, 0.0, 1.0};
  EXPECT_FALSE(c.next(0.0, std::numeric_limits<double>::infinity(), 1.0).has_value());
  EXPECT_EQ(c.errIntegral, 0.0);
  EXPECT_TRUE(c.next(0.0, 0.5, 1.0).has_value());
}

}  // namespace
}  // namespace gomemsim
