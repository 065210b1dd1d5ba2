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

#include "common/rng.h"
#include "scenario/scenario.h"
#include "sizeclass/sizeclass.h"
#include "units/units.h"

namespace gomemsim {

Bytes drawSize(const SizeDist& d, Rng& rng);
Duration drawLifetime(const LifetimeDist& d, Rng& rng);
// Mean requested size of a distribution (for CPU estimates).
double meanSize(const SizeDist& d);

// growslice's new capacity in elements for a slice of oldCap elements that must hold newLen.
using GrowsliceRule = int64_t (*)(int64_t oldCap, int64_t newLen);
int64_t growslice118(int64_t oldCap, int64_t newLen);
int64_t growslice117(int64_t oldCap, int64_t newLen);
GrowsliceRule growsliceForVersion(const std::string& goVersion);
// The capacity after roundupsize(newcap * elem) / elem.
int64_t roundedCap(int64_t newcap, Bytes elem, const SizeClassTable& classes);

// Mutator cost model (calibrated against ../shared/realgo/seed_example: 6.6 GB allocated and
// written by append in ~10.4 s on this machine kind): one page fault per 4 KiB page written
// for the first time, memmove and memclr bandwidth, and a fixed cost per allocation.
inline constexpr double kPageFaultNs = 3000;
inline constexpr double kMemmoveNsPerByte = 0.5;
inline constexpr double kMemclrNsPerByte = 0.25;
inline constexpr double kAllocNs = 250;

}  // namespace gomemsim
