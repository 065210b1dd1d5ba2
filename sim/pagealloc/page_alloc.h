// pagealloc: the heap's page allocator (Go 1.14+ mpagealloc.go, Go 1.19 mheap.go: grow).
//
// Models: the heap address space in 8 KiB runtime pages, grown in 4 MiB steps
// (mheap.grow: ask = alignUp(npages, 512 pages)) inside 64 MiB arenas reserved one after the
// other (malloc.go: heapArenaBytes; arenas are contiguous from 0xc000000000 in practice).
// Per page: allocated or free, and for a free page whether it is scavenged (returned to the
// OS, or never touched since mapping: Go 1.13+ counts fresh growth as released). Allocation is
// address-ordered first fit (pageAlloc.find returns the lowest run). The scavenger side takes
// free, unscavenged pages from the highest address down (Go 1.19 scavengeIndex.find,
// findScavengeCandidate), in chunks of 4 MiB (pallocChunkPages = 512). Per arena it keeps
// zeroedBase (mheap.go: allocNeedsZero): memory above it has never been handed out and is
// known zero. It does not know which scavenger policy runs; policies call scavenge().
// Does not model: the radix summary tree (a linear first-fit scan over bitmaps gives the same
// answer), the per-P page cache (mpagecache.go), the scavenge-index generations of Go 1.21.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/bitmap.h"
#include "units/units.h"

namespace gomemsim {

inline constexpr int64_t kChunkPages = 512;        // mpagealloc.go: pallocChunkPages (4 MiB)
inline constexpr int64_t kArenaPages = 8192;       // malloc.go: heapArenaBytes = 64 MiB
inline constexpr int64_t kArenaBytes = kArenaPages * kPageSize;

struct PageRun {
  int64_t base = 0;    // first page index (page 0 = the heap's base address)
  int64_t npages = 0;
};

class PageAllocator {
 public:
  struct Allocation {
    int64_t base = 0;
    int64_t scavenged = 0;  // pages of the run that were scavenged (released) before
  };

  // First fit by address; nullopt if no free run of n pages exists (caller grows the heap).
  std::optional<Allocation> alloc(Pages n);
  void free(int64_t base, Pages n);
  // mheap.grow: maps alignUp(n, 512) more pages at the end of the heap, free and scavenged.
  // Returns the pages added. Arenas are reserved as the end crosses 64 MiB boundaries.
  Pages grow(Pages n);
  // mheap.go allocNeedsZero: true if any part of the run was handed out before (may be dirty).
  bool allocNeedsZero(int64_t base, Pages n);

  // Releases up to `max` free unscavenged pages, highest addresses first. onRelease is called
  // per released run (for the OS). Returns the pages released.
  Pages scavenge(Pages max, const std::function<void(PageRun)>& onRelease);

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
  bool isFree(int64_t page) const { return !alloc_.get(page); }
  bool isScavenged(int64_t page) const { return scav_.get(page); }

 private:
  void markAllocated(int64_t base, int64_t n);
  int64_t end_ = 0;          // pages mapped (heap grown so far)
  int64_t reservedEnd_ = 0;  // pages of reserved arenas
  int64_t inUse_ = 0, free_ = 0, released_ = 0;
  int64_t searchAddr_ = 0;   // no free page below this
  Bitmap alloc_;             // 1 = allocated
  Bitmap scav_;              // 1 = scavenged (meaningful for free pages only)
  std::vector<int32_t> chunkFreeUnscav_;  // per 4 MiB chunk: free, unscavenged pages
  std::vector<int64_t> zeroedBase_;       // per arena
};

}  // namespace gomemsim
