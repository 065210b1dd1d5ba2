// pagealloc: the heap's page allocator (Go 1.14+ mpagealloc.go, Go 1.19 mheap.go: grow).
//
// Models: the heap address space in 8 KiB runtime pages, grown in 4 MiB steps
// (mheap.grow: ask = alignUp(npages, 512 pages)) inside 64 MiB arenas reserved one after the
// other (malloc.go: heapArenaBytes; arenas are contiguous from 0xc000000000 in practice).
// Per page: allocated or free, and for a free page whether it is scavenged (returned to the
// OS, or never touched since mapping: Go 1.13+ counts fresh growth as released). Allocation is
// address-ordered first fit (pageAlloc.find returns the lowest run). Per arena it keeps
// zeroedBase (mheap.go: allocNeedsZero): memory above it has never been handed out and is
// known zero.
// The scavenging mechanism the policies choose from (it never knows which policy runs):
//   - highest address first, in 4 MiB chunks (pallocChunkPages = 512): Go 1.19
//     scavengeIndex.find + findScavengeCandidate, and Go 1.21+ with force = true; a
//     candidate is widened to the whole free 2 MiB huge page it would break (Go 1.14+
//     findScavengeCandidate), so this may release more than asked;
//   - largest free run first, whole runs: Go 1.12 mheap.go scavengeLargest walking the free
//     treap from its largest span;
//   - only runs free since before an instant: Go 1.11 mheap.go scavengelist,
//     `now - s.unusedsince > limit`. Free times are opt-in (trackFreeTimes) and kept per
//     maximal free run, with Go 1.11's coalescing rule (mheap.go freeSpanLocked): a freed span
//     is stamped nanotime() and the span it merges into takes that stamp, so a free restarts
//     the clock of the whole free run around it; heap growth is freed the same way
//     (mheap.grow); an allocation's trimmed remainder keeps the old stamp (allocSpanLocked);
//   - generational (Go 1.21+ scavengeIndex.find(force = false)): only chunks below the
//     background cursor searchAddrBg, which is raised to the highest page freed in a GC cycle
//     only when the next cycle starts (nextGen), and only chunks that are not dense
//     (scavChunkData.shouldScavenge: fewer than scavChunkHiOccPages = 496 pages in use now and,
//     if touched this cycle, at the cycle's first touch). nextScavengeGen() is called by the
//     runtime at each GC's mark termination (mgc.go gcMarkTermination: nextGen).
// Does not model: the radix summary tree (a linear first-fit scan over bitmaps gives the same
// answer), the per-P page cache (mpagecache.go), pre-1.14 best-fit allocation and Go 1.12's
// rule that only spans of the same scavenged state coalesce, Go 1.11/1.12 counting fresh growth
// as idle rather than released, Go 1.21's scavenge-index setEmpty quirk for pages above the
// cursor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "common/bitmap.h"
#include "units/units.h"

namespace gomemsim {

inline constexpr int64_t kChunkPages = 512;        // mpagealloc.go: pallocChunkPages (4 MiB)
inline constexpr int64_t kArenaPages = 8192;       // malloc.go: heapArenaBytes = 64 MiB
inline constexpr int64_t kArenaBytes = kArenaPages * kPageSize;
// Go 1.21 mgcscavenge.go: scavChunkHiOccPages = uint16(scavChunkHiOccFrac(0.96875) * 512).
inline constexpr int64_t kDenseChunkPages = 496;
// linux/amd64 physHugePageSize (2 MiB) in runtime pages.
inline constexpr int64_t kHugePagePages = (2 << 20) / kPageSize;

struct PageRun {
  int64_t base = 0;    // first page index (page 0 = the heap's base address)
  int64_t npages = 0;
};

enum class ScavengeOrder {
  HighestAddress,   // Go 1.14+ pageAlloc.scavenge
  LargestRunFirst,  // Go 1.12 scavengeLargest: whole runs, may release more than asked
};

// Which free, unscavenged pages a scavenge may take. A policy fills it in (scavenger.h).
struct ScavengeSelect {
  ScavengeOrder order = ScavengeOrder::HighestAddress;
  // Only pages of free runs that became free strictly before this instant (needs free times).
  std::optional<SimTime> freedBefore;
  // Go 1.21+ background / heap-growth scavenging: searchAddrBg cursor and dense chunks skipped
  // (with freedBefore, only the dense chunks are skipped).
  bool generational = false;
};

class PageAllocator {
 public:
  struct Allocation {
    int64_t base = 0;
    int64_t scavenged = 0;       // pages of the run that were scavenged (released) before
    int64_t npages = 0;
    int64_t reusedReleased = 0;  // of those, pages handed out before (below zeroedBase): memory
                                 // released after use, as opposed to fresh growth
  };

  // First fit by address; nullopt if no free run of n pages exists (caller grows the heap).
  std::optional<Allocation> alloc(Pages n);
  void free(int64_t base, Pages n);
  // mheap.grow: maps alignUp(n, 512) more pages at the end of the heap, free and scavenged.
  // Returns the pages added. Arenas are reserved as the end crosses 64 MiB boundaries.
  Pages grow(Pages n);
  // mheap.go allocNeedsZero: true if any part of the run was handed out before (may be dirty).
  bool allocNeedsZero(int64_t base, Pages n);
  // The most recent successful alloc().
  const Allocation& lastAllocation() const { return last_; }

  // Releases free unscavenged pages chosen by `select`, up to `max` (LargestRunFirst releases
  // whole runs and may exceed it). onRelease is called per released run (for the OS). Returns
  // the pages released.
  Pages scavenge(Pages max, const ScavengeSelect& select, const std::function<void(PageRun)>& onRelease);
  Pages scavenge(Pages max, const std::function<void(PageRun)>& onRelease) {
    return scavenge(max, ScavengeSelect{}, onRelease);
  }

  // Starts stamping free runs with the time they became free, read from *clock (which must
  // outlive the allocator). Call before the first grow.
  void trackFreeTimes(const SimTime* clock) { clock_ = clock; }
  bool tracksFreeTimes() const { return clock_ != nullptr; }
  // Since when the free run containing `page` is free; nullopt if the page is allocated or
  // free times are not tracked.
  std::optional<SimTime> freeSince(int64_t page) const;

  // Go 1.21 scavengeIndex.nextGen: a new GC cycle for the density record and the background
  // cursor. Cheap; the runtime calls it at every mark termination whatever the policy.
  void nextScavengeGen();
  // Go 1.21 scavChunkData.shouldScavenge(gen, force = false) for chunk c, ignoring the cursor.
  bool backgroundMayScavenge(int64_t chunk) const;

  Pages inUse() const { return Pages(inUse_); }        // allocated pages
  Pages freeRetained() const { return Pages(free_); }  // free, not scavenged
  Pages released() const { return Pages(released_); }  // free, scavenged
  Pages mapped() const { return Pages(end_); }
  int64_t arenas() const { return (reservedEnd_ + kArenaPages - 1) / kArenaPages; }
  // Highest page ever handed out in arena a (zeroedBase, as pages from the arena's start).
  int64_t zeroedBase(int64_t arena) const { return zeroedBase_[static_cast<size_t>(arena)]; }
  // Calls fn for every maximal run of free pages, in address order.
  template <typename Fn>
  void forEachFreeRun(Fn&& fn) const {
    for (int64_t p = alloc_.findNext(0, false); p < end_;) {
      const int64_t q = std::min(alloc_.findNext(p, true), end_);
      fn(PageRun{p, q - p});
      p = alloc_.findNext(q, false);
    }
  }
  // The allocated-page bitmap (1 = in use), for whole-heap passes by observers.
  const Bitmap& allocBitmap() const { return alloc_; }
  // For audits (tests, fuzzing): the page counts recounted from the bitmaps, apart from the
  // counters inUse(), freeRetained() and released() read, and the per-chunk index of free
  // unscavenged pages checked against them. O(mapped pages).
  struct Recount {
    int64_t inUse = 0, freeRetained = 0, released = 0;
    int64_t chunksMiscounted = 0;  // chunks whose free-unscavenged count disagrees
    Bitmap releasedPages;          // free and scavenged
  };
  Recount recount() const;
  bool isFree(int64_t page) const { return !alloc_.get(page); }
  bool isScavenged(int64_t page) const { return scav_.get(page); }

 private:
  // Go 1.21 mgcscavenge.go scavChunkData (without the flags: chunkFreeUnscav_ says "empty").
  struct ChunkUse {
    int32_t inUse = 0;
    int32_t lastInUse = 0;
    uint32_t gen = 0;
  };
  // A maximal free run and the time it became free (Go <= 1.12 mspan.unusedsince).
  struct FreeRun {
    int64_t end = 0;
    SimTime since;
  };
  using Release = std::function<void(PageRun)>;

  void markAllocated(int64_t base, int64_t n);
  void noteChunkUse(int64_t chunk, int64_t delta);
  int64_t releasedAfterUse(int64_t base, int64_t n) const;
  void stampFreed(int64_t base, int64_t n);
  void unstampAllocated(int64_t base, int64_t n);
  // Marks [start, start+len) (free, unscavenged) scavenged and tells onRelease.
  void markReleased(int64_t start, int64_t len, const Release& onRelease);
  // Highest-first release of free unscavenged pages in chunk c at or below page `top`.
  int64_t scavengeChunk(int64_t chunk, int64_t top, int64_t max, const Release& onRelease);
  // Highest-first release of the unscavenged pages of [lo, hi), all of which are free.
  int64_t scavengeFreeRange(int64_t lo, int64_t hi, int64_t max, bool generational, const Release& onRelease);
  int64_t scavengeHighest(int64_t max, const Release& onRelease);
  int64_t scavengeGenerational(int64_t max, const Release& onRelease);
  int64_t scavengeFreedBefore(int64_t max, SimTime before, bool generational, const Release& onRelease);
  int64_t scavengeLargest(int64_t max, std::optional<SimTime> before, const Release& onRelease);
  std::vector<PageRun> unscavengedFreeRuns() const;

  int64_t end_ = 0;          // pages mapped (heap grown so far)
  int64_t reservedEnd_ = 0;  // pages of reserved arenas
  int64_t inUse_ = 0, free_ = 0, released_ = 0;
  int64_t searchAddr_ = 0;   // no free page below this
  Bitmap alloc_;             // 1 = allocated
  Bitmap scav_;              // 1 = scavenged (meaningful for free pages only)
  std::vector<int32_t> chunkFreeUnscav_;  // per 4 MiB chunk: free, unscavenged pages
  std::vector<int64_t> zeroedBase_;       // per arena
  Allocation last_;
  // Go 1.21 scavenge index.
  std::vector<ChunkUse> chunkUse_;
  uint32_t gen_ = 0;
  int64_t bgCursor_ = -1;    // searchAddrBg as a page index; -1 = cleared
  int64_t freeHWM_ = -1;     // highest page freed this generation; -1 = none
  // Free times (only when clock_ is set): maximal free runs by first page.
  const SimTime* clock_ = nullptr;
  std::map<int64_t, FreeRun> freeRuns_;
};

}  // namespace gomemsim
