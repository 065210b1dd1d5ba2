// background121: the Go 1.21+ scavenger, "background-1.21" (≈go1.21 and ≈go1.22 snapshots of
// mgcscavenge.go, mheap.go allocSpan, mgc.go gcMarkTermination).
//
// Models: everything background-1.19 does (goals, wake-up, 64 KiB quanta in >= 1 ms batches,
// 1 % of GOMAXPROCS), plus what Go 1.21 changed in what is picked: background and heap-growth
// scavenging call pages.scavenge(n, ..., force = false), so scavengeIndex.find only looks below
// searchAddrBg (raised to the highest page freed in a GC cycle only when the next cycle starts,
// nextGen in gcMarkTermination) and skips chunks that are dense (scavChunkData.shouldScavenge:
// >= scavChunkHiOccPages = 496 of 512 pages in use now, or at the first alloc/free of this
// cycle). Memory-limit scavenging in allocSpan is forced (force = true), as are
// debug.FreeOSMemory and its scavengeAll. The memory-limit goal is limit x 95 with go 1.21
// (the ≈go1.21 snapshot still multiplies by 100 - reduceExtraPercent) and limit x 0.95 from
// go 1.22 (golang/go#62449 fixed).
// The density record and the cursor are mechanism in the page allocator (ScavengeSelect::
// generational); the runtime advances them at each mark termination.
// Parameters honoured: idle_threshold, retain_extra, cpu_fraction (as background-1.19).
// Does not model: Go 1.21.0's MADV_HUGEPAGE / MADV_COLLAPSE of dense chunks (removed in 1.21.x
// and 1.22), the "(bg) / (eager)" scavtrace format.
#include "scavenger/background119.h"

namespace gomemsim::scav {
namespace {

class Background121 : public Background119 {
 public:
  using Background119::Background119;
  std::string name() const override { return "background-1.21"; }

 protected:
  bool generational() const override { return true; }
};

}  // namespace

std::unique_ptr<ScavengerPolicy> makeBackground121(const ScavengerParams& p, const GoRelease& release) {
  return std::make_unique<Background121>(p, release);
}

}  // namespace gomemsim::scav
