// span_layout: how a Go release places objects in spans: which size class an allocation gets
// and how many objects a span of each class holds, given where the release keeps its heap
// metadata (GoRelease::heapBits) and whether Green Tea runs.
//
// Models (the same size-class table in every release, sizeclass.h):
// - Go <= 1.21: pointer bits live in the arena's heap bitmap (mbitmap.go), outside the spans:
//   a span of a class holds span bytes / class size objects, pointers or not; objects above
//   32768 B are large (malloc.go mallocgc: size <= maxSmallSize).
// - Go 1.22+ allocation headers (Go 1.26.8 malloc.go mallocgc, mbitmap.go heapBitsInSpan,
//   mheap.go initSpan): a pointerful object of at most 512 B (minSizeForMallocHeader) has its
//   pointer bits at the end of its span, span bytes / 64 (128 B per 8 KiB page); a pointerful
//   object of 513 to 32760 B carries an 8-byte malloc header, added to its size before the
//   class lookup (1024 B -> the 1152 B class); anything above 32760 B (maxSmallSize -
//   mallocHeaderSize), with pointers or not, is a large object whose type is kept in its span.
// - Green Tea (Go 1.26+ by default, 1.25 with GOEXPERIMENT=greenteagc; mheap.go initSpan,
//   mgcmark_greenteagc.go gcUsesSpanInlineMarkBits): every span of 16 to 512 B elements, noscan
//   included, keeps 128 B of inline mark bits (spanInlineMarkBits) at its end, below which the
//   pointer bits of a scan span sit.
// The reserved tail is runtime metadata inside a span: never handed out, counted in HeapInuse
// (not HeapAlloc), and written when the span is initialised (mheap.go initSpan ->
// initHeapBits / initInlineMarkBits), so its OS page is resident from then on.
// Checked against the real runtimes by tests/fidelity/layout (span_layout_test.cc).
// Does not model: user arenas, the 1.20-1.21 bitmap's layout beyond its size (runtime.cc).
#pragma once

#include <cstdint>

#include "goversion/goversion.h"
#include "sizeclass/sizeclass.h"
#include "units/units.h"

namespace gomemsim {

class SpanLayout {
 public:
  SpanLayout(const SizeClassTable& classes, HeapBitsLayout heapBits, bool greenTea);
  // The layout of a release (with Green Tea as resolved from its GOEXPERIMENT).
  static SpanLayout forRelease(const GoRelease& r, bool greenTea);

  const SizeClassTable& classes() const { return classes_; }
  HeapBitsLayout heapBits() const { return heapBits_; }
  bool greenTea() const { return greenTea_; }

  // mallocgc: whether an allocation of `size` is a large object (its own span).
  bool isLarge(Bytes size, bool pointers) const {
    (void)pointers;
    return size.v > maxSmall_;
  }
  // The malloc header an allocation carries (0 or 8 bytes).
  int64_t headerBytes(Bytes size, bool pointers) const {
    return headers() && pointers && size.v > kMinSizeForMallocHeader && size.v <= maxSmall_ ? kMallocHeaderSize : 0;
  }
  // Whether the mark finds an object's pointers through its type rather than heap bits: Go
  // 1.22+ scanobject (Go 1.26.8 mbitmap.go typePointersOfUnchecked) reads the malloc header's
  // type for a pointerful object above 512 B, and a large span's largeType; heap bits (the
  // arena bitmap before 1.22, in-span bits after) for the rest. `elemsize` is the slot's size.
  bool scannedThroughType(Bytes elemsize, bool pointers) const {
    return headers() && pointers && elemsize.v > kMinSizeForMallocHeader;
  }
  // The size class of a small allocation (tiny ones excepted: class 2), header included.
  int classFor(Bytes size, bool pointers) const { return classes_.classFor(size.v + headerBytes(size, pointers)); }
  // Objects per span of a size class and its noscan bit (mheap.go initSpan: nelems).
  int32_t nelems(int sizeclass, bool noscan) const {
    const SizeClass& c = classes_.cls(sizeclass);
    return static_cast<int32_t>((c.npages * kPageSize - tailReserve(sizeclass, noscan)) / c.size);
  }
  // Bytes at the end of a span of this class kept for in-span metadata (pointer bits, inline
  // mark bits); 0 before Go 1.22.
  int64_t tailReserve(int sizeclass, bool noscan) const;
  // growslice's roundupsize(size, noscan): the bytes the slot gives the caller (class size
  // minus the header, or whole pages for a large object).
  Bytes roundUp(Bytes size, bool pointers) const;

  static constexpr int64_t kMallocHeaderSize = 8;         // gc.MallocHeaderSize
  static constexpr int64_t kMinSizeForMallocHeader = 512;  // gc.MinSizeForMallocHeader
  static constexpr int64_t kInlineMarkBitsBytes = 128;    // sizeof(spanInlineMarkBits)

 private:
  bool headers() const { return heapBits_ == HeapBitsLayout::AllocationHeaders; }
  const SizeClassTable& classes_;
  HeapBitsLayout heapBits_;
  bool greenTea_;
  int64_t maxSmall_;  // the largest small object: 32768, or 32760 with allocation headers
};

}  // namespace gomemsim
