// workload: what the program does, turned into allocation requests and drops.
//
// Models: draws of object sizes (fixed, weighted choice, uniform, lognormal) and lifetimes
// (zero, fixed, exponential, lognormal, forever) from a seeded Rng; Go's growslice rule for
// `append` (runtime/slice.go: Go 1.18+ grows 2x below 256 elements then by
// (newcap + 3*256)/4; Go <= 1.17 2x below 1024 then 1.25x; capacity rounded up to the size
// class or whole pages, roundupsize); and the program's own CPU cost of allocating and writing
// memory (mutator cost model), used for phases that run "as fast as possible".
// It knows nothing about spans or pages: it asks the runtime for objects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.h"
#include "scenario/scenario.h"
#include "sizeclass/span_layout.h"
#include "units/units.h"

namespace gomemsim {

// Object sizes drawn from a SizeDist. Weighted choices use Walker's alias method (one draw,
// one table lookup, whatever the number of choices).
class SizeSampler {
 public:
  explicit SizeSampler(const SizeDist& d);
  Bytes draw(Rng& rng) const {
    switch (d_.kind) {
      case SizeDist::Kind::Fixed: return d_.fixed;
      case SizeDist::Kind::Choice: return sizes_[drawIndex(rng)];
      default: return drawOther(rng);
    }
  }
  // Fixed and choice distributions have a few distinct sizes; draws can name them by index.
  bool discrete() const { return !sizes_.empty(); }
  size_t numSizes() const { return sizes_.size(); }
  Bytes sizeAt(size_t i) const { return sizes_[i]; }
  size_t drawIndex(Rng& rng) const {  // discrete() only; a fixed size draws nothing
    if (sizes_.size() == 1) return 0;
    const uint64_t r = rng.next();
    const size_t i = static_cast<size_t>(((r >> 32) * sizes_.size()) >> 32);
    return (r & 0xFFFFFFFFu) < threshold_[i] ? i : alias_[i];
  }

 private:
  Bytes drawOther(Rng& rng) const;
  SizeDist d_;
  std::vector<Bytes> sizes_;
  std::vector<uint64_t> threshold_;  // keep choice i if the low 32 bits are below this
  std::vector<uint32_t> alias_;
};

// Lifetimes drawn from a LifetimeDist; Duration(-1) means forever.
class LifetimeSampler {
 public:
  explicit LifetimeSampler(const LifetimeDist& d) : d_(d), mean_(static_cast<double>(d.mean.v)) {}
  Duration draw(Rng& rng) const {
    if (d_.kind == LifetimeDist::Kind::Exponential)
      return Duration(static_cast<int64_t>(rng.exponential(mean_)));
    return drawOther(rng);
  }

 private:
  Duration drawOther(Rng& rng) const;
  LifetimeDist d_;
  double mean_;
};
// Mean requested size of a distribution (for CPU estimates).
double meanSize(const SizeDist& d);

// growslice's new capacity in elements for a slice of oldCap elements that must hold newLen.
using GrowsliceRule = int64_t (*)(int64_t oldCap, int64_t newLen);
int64_t growslice118(int64_t oldCap, int64_t newLen);
int64_t growslice117(int64_t oldCap, int64_t newLen);
GrowsliceRule growsliceFor(const GoRelease& release);
// The capacity after roundupsize(newcap * elem, noscan) / elem (Go 1.22+: less the malloc
// header of a pointerful slot).
int64_t roundedCap(int64_t newcap, Bytes elem, const SpanLayout& layout, bool pointers);

// Mutator cost model: the program's own CPU time for allocating and writing memory, which sets
// how fast "as fast as possible" phases run (and, for paced streams, how busy the program keeps
// its Ps). Calibrated on the real-Go driver's runs (tests/fidelity, steps.csv):
//   kAllocNs, kPageFaultNs  live sets built as fast as possible: 300 MB of 64 B objects in
//     0.272 s (fragmentation run-1) and of 256 B objects in 0.171 s (mark-noscan run-1), i.e.
//     27 ns per object and 0.85 us per 4 KiB page faulted in, with writing at kMemclrNsPerByte;
//   kHugePageFaultNs  a 2 MiB transparent huge page faulted in at once: seed-1gb's append phase
//     takes 8.0-8.7 s on the real runtime (run-1..3, steps.csv), its big buffers being
//     huge-page backed (Go 1.19 sysUsed advice), with copying and clearing far too fast to
//     explain it. On this VM a huge-page fault often lands on guest memory the hypervisor has
//     not backed yet: a C program's first memset of 512 MiB of MADV_HUGEPAGE memory took
//     1184 ms (2.3 ns/B), the same again in a warm guest 35 ms. 2.7 ms per huge page fits the
//     seed; a machine without that effect zeroes a huge page in ~0.1-0.2 ms (not modelled);
//   kMemmoveNsPerByte, kMemclrNsPerByte  growslice's copy and the clearing of new elements
//     (the seed program's first real Go 1.19 recording, not re-measured).
inline constexpr double kPageFaultNs = 850;
inline constexpr double kHugePageFaultNs = 2700000;
inline constexpr double kMemmoveNsPerByte = 0.5;
inline constexpr double kMemclrNsPerByte = 0.25;
inline constexpr double kAllocNs = 27;

}  // namespace gomemsim
