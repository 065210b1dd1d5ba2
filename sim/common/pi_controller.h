// pi_controller: Go's proportional-integral controller (Go 1.18+ mgcpacer.go piController),
// used by the GC pacer's cons/mark estimate (sim/pacer) and the background scavenger's sleep
// ratio (Go 1.19+ mgcscavenge.go scavengerState.sleepController, sim/scavenger).
//
// Models: next(input, setpoint, period) as Go computes it: output = clamp(kp x error +
// integral, min, max), the integral growing by kp x period / ti x error and unwinding by
// period / tt x (output - raw output) (anti-windup). nullopt where Go returns ok = false: an
// input or the integral overflowed, and the controller is reset.
// Does not model: anything else; it is pure arithmetic.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>

namespace gomemsim {

struct PiController {
  double kp, ti, tt, min, max;
  double errIntegral = 0;
  std::optional<double> next(double input, double setpoint, double period) {
    const double prop = kp * (setpoint - input);
    const double raw = prop + errIntegral;
    if (!std::isfinite(raw)) {
      errIntegral = 0;
      return std::nullopt;
    }
    const double out = std::clamp(raw, min, max);
    errIntegral += (kp * period / ti) * (setpoint - input) + (period / tt) * (out - raw);
    if (!std::isfinite(errIntegral)) {
      errIntegral = 0;
      return std::nullopt;
    }
    return out;
  }
};

}  // namespace gomemsim
