#include "sizeclass/span_layout.h"

namespace gomemsim {

SpanLayout::SpanLayout(const SizeClassTable& classes, HeapBitsLayout heapBits, bool greenTea)
    : classes_(classes), heapBits_(heapBits), greenTea_(greenTea),
      // Go 1.22+ malloc.go mallocgc: size <= maxSmallSize-mallocHeaderSize is small, with or
      // without pointers; before, size <= maxSmallSize.
      maxSmall_(heapBits == HeapBitsLayout::AllocationHeaders ? kMaxSmallSize - kMallocHeaderSize : kMaxSmallSize) {}

SpanLayout SpanLayout::forRelease(const GoRelease& r, bool greenTea) {
  return SpanLayout(SizeClassTable::forRelease(r), r.heapBits, greenTea);
}

int64_t SpanLayout::tailReserve(int sizeclass, bool noscan) const {
  if (!headers()) return 0;
  const SizeClass& c = classes_.cls(sizeclass);
  const int64_t spanBytes = c.npages * kPageSize;
  int64_t reserve = 0;
  // Go 1.26.8 mheap.go initSpan: gcUsesSpanInlineMarkBits(elemsize) (16 <= size <= 512).
  if (greenTea_ && c.size >= 16 && c.size <= kMinSizeForMallocHeader) reserve += kInlineMarkBitsBytes;
  // heapBitsInSpan(elemsize) && !noscan: nbytes / PtrSize / 8.
  if (!noscan && c.size <= kMinSizeForMallocHeader) reserve += spanBytes / 8 / 8;
  return reserve;
}

Bytes SpanLayout::roundUp(Bytes size, bool pointers) const {
  if (size.v <= 0) return Bytes(0);
  if (isLarge(size, pointers)) return toBytes(pagesFor(size));
  // Go 1.26.8 msize.go roundupsize: the class of size + header, less the header.
  const int64_t header = headerBytes(size, pointers);
  return Bytes(classes_.cls(classes_.classFor(size.v + header)).size - header);
}

}  // namespace gomemsim
