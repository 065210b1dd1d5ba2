#include "workload/workload.h"

#include <algorithm>
#include <cmath>

namespace gomemsim {

SizeSampler::SizeSampler(const SizeDist& d) : d_(d) {
  if (d.kind == SizeDist::Kind::Fixed) sizes_.push_back(d.fixed);
  if (d.kind != SizeDist::Kind::Choice) return;
  // Walker's alias table (Vose's construction): choice i is kept with probability
  // threshold_[i] / 2^32, otherwise alias_[i] is taken.
  const size_t n = d.choices.size();
  double total = 0;
  for (const auto& c : d.choices) total += c.weight;
  std::vector<double> scaled(n);
  std::vector<size_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    sizes_.push_back(d.choices[i].size);
    scaled[i] = d.choices[i].weight * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  threshold_.assign(n, uint64_t{1} << 32);
  alias_.resize(n);
  for (size_t i = 0; i < n; ++i) alias_[i] = static_cast<uint32_t>(i);
  while (!small.empty() && !large.empty()) {
    const size_t s = small.back(), l = large.back();
    small.pop_back();
    threshold_[s] = static_cast<uint64_t>(scaled[s] * 4294967296.0);
    alias_[s] = static_cast<uint32_t>(l);
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
}

Bytes SizeSampler::drawOther(Rng& rng) const {
  switch (d_.kind) {
    case SizeDist::Kind::Uniform:
      return Bytes(d_.min.v + static_cast<int64_t>(rng.below(static_cast<uint64_t>(d_.max.v - d_.min.v + 1))));
    case SizeDist::Kind::LogNormal: {
      const double v = static_cast<double>(d_.median.v) * std::exp(d_.sigma * rng.normal());
      int64_t b = std::llround(v);
      b = std::max<int64_t>(b, std::max<int64_t>(1, d_.min.v));
      if (d_.max.v > 0) b = std::min(b, d_.max.v);
      return Bytes(b);
    }
    case SizeDist::Kind::Fixed:
    case SizeDist::Kind::Choice:
      break;
  }
  return draw(rng);
}

Duration LifetimeSampler::drawOther(Rng& rng) const {
  switch (d_.kind) {
    case LifetimeDist::Kind::Zero:
      return Duration(0);
    case LifetimeDist::Kind::Fixed:
      return d_.fixed;
    case LifetimeDist::Kind::Exponential:
      return Duration(static_cast<int64_t>(rng.exponential(static_cast<double>(d_.mean.v))));
    case LifetimeDist::Kind::LogNormal:
      return Duration(static_cast<int64_t>(static_cast<double>(d_.median.v) * std::exp(d_.sigma * rng.normal())));
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

GrowsliceRule growsliceFor(const GoRelease& release) {
  return release.growslice == GrowsliceScheme::Go118 ? growslice118 : growslice117;
}

int64_t roundedCap(int64_t newcap, Bytes elem, const SpanLayout& layout, bool pointers) {
  const Bytes capmem = layout.roundUp(Bytes(newcap * elem.v), pointers);
  return capmem.v / elem.v;
}

}  // namespace gomemsim
