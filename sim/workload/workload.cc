#include "workload/workload.h"

#include <algorithm>
#include <cmath>

namespace gomemsim {

Bytes drawSize(const SizeDist& d, Rng& rng) {
  switch (d.kind) {
    case SizeDist::Kind::Fixed:
      return d.fixed;
    case SizeDist::Kind::Choice: {
      double total = 0;
      for (const auto& c : d.choices) total += c.weight;
      double x = rng.uniformOpen() * total;
      for (const auto& c : d.choices) {
        if (x <= c.weight) return c.size;
        x -= c.weight;
      }
      return d.choices.back().size;
    }
    case SizeDist::Kind::Uniform:
      return Bytes(d.min.v + static_cast<int64_t>(rng.below(static_cast<uint64_t>(d.max.v - d.min.v + 1))));
    case SizeDist::Kind::LogNormal: {
      const double v = static_cast<double>(d.median.v) * std::exp(d.sigma * rng.normal());
      int64_t b = std::llround(v);
      b = std::max<int64_t>(b, std::max<int64_t>(1, d.min.v));
      if (d.max.v > 0) b = std::min(b, d.max.v);
      return Bytes(b);
    }
  }
  return d.fixed;
}

Duration drawLifetime(const LifetimeDist& d, Rng& rng) {
  switch (d.kind) {
    case LifetimeDist::Kind::Zero:
      return Duration(0);
    case LifetimeDist::Kind::Fixed:
      return d.fixed;
    case LifetimeDist::Kind::Exponential:
      return Duration(static_cast<int64_t>(rng.exponential(static_cast<double>(d.mean.v))));
    case LifetimeDist::Kind::LogNormal:
      return Duration(static_cast<int64_t>(static_cast<double>(d.median.v) * std::exp(d.sigma * rng.normal())));
    case LifetimeDist::Kind::Forever:
      return Duration(-1);
  }
  return Duration(-1);
}

double meanSize(const SizeDist& d) {
  switch (d.kind) {
    case SizeDist::Kind::Fixed:
      return static_cast<double>(d.fixed.v);
    case SizeDist::Kind::Choice: {
      double w = 0, s = 0;
      for (const auto& c : d.choices) { w += c.weight; s += c.weight * static_cast<double>(c.size.v); }
      return s / w;
    }
    case SizeDist::Kind::Uniform:
      return (static_cast<double>(d.min.v) + static_cast<double>(d.max.v)) / 2;
    case SizeDist::Kind::LogNormal:
      return static_cast<double>(d.median.v) * std::exp(d.sigma * d.sigma / 2);
  }
  return 1;
}

int64_t growslice118(int64_t oldCap, int64_t newLen) {
  // Go 1.18+ runtime/slice.go: growslice.
  int64_t newcap = oldCap;
  const int64_t doublecap = newcap + newcap;
  if (newLen > doublecap) return newLen;
  constexpr int64_t threshold = 256;
  if (oldCap < threshold) return doublecap;
  while (0 < newcap && newcap < newLen) newcap += (newcap + 3 * threshold) / 4;
  return newcap <= 0 ? newLen : newcap;
}

int64_t growslice117(int64_t oldCap, int64_t newLen) {
  // Go <= 1.17 runtime/slice.go: growslice.
  int64_t newcap = oldCap;
  const int64_t doublecap = newcap + newcap;
  if (newLen > doublecap) return newLen;
  if (oldCap < 1024) return doublecap;
  while (0 < newcap && newcap < newLen) newcap += newcap / 4;
  return newcap <= 0 ? newLen : newcap;
}

GrowsliceRule growsliceForVersion(const std::string& goVersion) {
  const int minor = goVersion.rfind("1.", 0) == 0 ? std::stoi(goVersion.substr(2)) : 99;
  return minor >= 18 ? growslice118 : growslice117;
}

int64_t roundedCap(int64_t newcap, Bytes elem, const SizeClassTable& classes) {
  const Bytes capmem = classes.roundUp(Bytes(newcap * elem.v));
  return capmem.v / elem.v;
}

}  // namespace gomemsim
