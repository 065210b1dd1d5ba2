// arena_metadata: the heapArena structure the runtime keeps per 64 MiB arena, by release, and
// how much of it is resident.
//
// Models (mheap.go heapArena, malloc.go sysAlloc: each heapArena is its own persistentalloc'd
// mapping, counted whole in GCSys and never freed or released):
// - Go <= 1.19: bitmap, 2 bits per heap word (heapArenaBytes / 32 = 2 MiB), written for the
//   whole of every span when it is initialised (mbitmap.go initSpan), noscan spans included;
//   spans, one pointer per page (64 KiB); pageInUse, pageMarks, pageSpecials, 1 KiB each; two
//   words. 2,165,776 B (read from Go 1.19.8's DWARF).
// - Go 1.20-1.21: the bitmap at 1 bit per word (1 MiB) plus noMorePtrs, 1 bit per bitmap word
//   (16 KiB): 1,134,608 B (go1.20 release notes; no 1.20/1.21 source on this machine).
// - Go 1.22+: no heap bitmap (allocation headers, span_layout.h): spans, the page bitmaps
//   (Go 1.26+ a fourth, pageUseSpanInlineMarkBits) and two words: 68,624 B, or 69,648 B in
//   Go 1.26.8/1.27.3 (DWARF).
// Resident: the spans array and the bitmap as far as spans were ever initialised in the arena
// (its zeroedBase high-water mark), plus the OS pages of the page bitmaps (pageMarks is cleared
// for every arena at each GC, mgc.go gcResetMarkState).
// Does not model: the arena index (L2 map, 8 B per arena), checkmarks.
#pragma once

#include <algorithm>
#include <cstdint>

#include "goversion/goversion.h"
#include "pagealloc/page_alloc.h"
#include "units/units.h"

namespace gomemsim {

class ArenaMetadata {
 public:
  ArenaMetadata(HeapBitsLayout heapBits, int pageBitmaps) : heapBits_(heapBits), pageBitmaps_(pageBitmaps) {}
  explicit ArenaMetadata(const GoRelease& r) : ArenaMetadata(r.heapBits, r.arenaPageBitmaps) {}

  // sizeof(heapArena).
  int64_t structBytes() const { return bitmapBytes(kArenaPages) + kSpansBytes + pageBitmaps_ * kPageBitmapBytes + 16; }

  // Resident bytes of one arena's heapArena, `used` pages of it having been handed to spans.
  int64_t resident(int64_t usedPages) const {
    int64_t r = roundUp(bitmapBytes(usedPages)) + roundUp(usedPages * 8);
    r += (structBytes() - bitmapBytes(kArenaPages) - kSpansBytes + kOsPageSize - 1) / kOsPageSize * kOsPageSize;
    return std::min(r, structBytes());  // one mapping: never more resident than its size
  }

 private:
  static constexpr int64_t kSpansBytes = kArenaPages * 8;        // spans [pagesPerArena]*mspan
  static constexpr int64_t kPageBitmapBytes = kArenaPages / 8;   // 1 bit per page
  static int64_t roundUp(int64_t b) { return (b + kOsPageSize - 1) / kOsPageSize * kOsPageSize; }
  // The heap bitmap for `pages` pages of heap.
  int64_t bitmapBytes(int64_t pages) const {
    const int64_t heap = pages * kPageSize;
    switch (heapBits_) {
      case HeapBitsLayout::TwoBitsPerWord: return heap / 32;
      case HeapBitsLayout::OneBitPerWord: return heap / 64 + heap / 64 / 64;  // + noMorePtrs
      case HeapBitsLayout::AllocationHeaders: return 0;
    }
    return 0;
  }
  HeapBitsLayout heapBits_;
  int pageBitmaps_;
};

}  // namespace gomemsim
