// Size-class generation follows Go 1.19 runtime/mksizeclasses.go: makeClasses, then the
// size_to_class8/size_to_class128 lookup tables that the generator prints.
#include "sizeclass/sizeclass.h"

#include <stdexcept>

namespace gomemsim {
namespace {

bool powerOfTwo(int64_t x) { return x != 0 && (x & (x - 1)) == 0; }

// mksizeclasses.go: makeClasses.
std::vector<SizeClass> makeClasses(int64_t align16From) {
  std::vector<SizeClass> classes(1);  // class 0 is a dummy entry
  int64_t align = 8;
  for (int64_t size = align; size <= kMaxSmallSize; size += align) {
    if (powerOfTwo(size)) {  // bump alignment once in a while
      if (size >= 2048) {
        align = 256;
      } else if (size >= 128) {
        align = size / 8;
      } else if (size >= align16From) {
        align = 16;
      }
    }
    // Smallest span (in pages) whose leftover is at most 1/8 of it.
    int64_t allocsize = kPageSize;
    while (allocsize % size > allocsize / 8) allocsize += kPageSize;
    const int64_t npages = allocsize / kPageSize;
    // Same pages and same objects per span as the previous class: merge into this size.
    if (classes.size() > 1 && npages == classes.back().npages &&
        allocsize / size == allocsize / classes.back().size) {
      classes.back().size = size;
      continue;
    }
    classes.push_back({size, npages, 0, 0});
  }
  // Raise each size to the largest that still fits the same number of objects, keeping
  // largeSizeDiv alignment (e.g. 8448 -> 9472 for 6 objects in 7 pages).
  for (size_t i = 1; i < classes.size(); ++i) {
    SizeClass& c = classes[i];
    const int64_t psize = c.npages * kPageSize;
    const int64_t newSize = (psize / (psize / c.size)) & ~(kLargeSizeDiv - 1);
    if (newSize > c.size) c.size = newSize;
  }
  for (size_t i = 1; i < classes.size(); ++i) {
    SizeClass& c = classes[i];
    c.objects = c.npages * kPageSize / c.size;
    c.tailWaste = c.npages * kPageSize - c.objects * c.size;
  }
  return classes;
}

}  // namespace

SizeClassTable::SizeClassTable(int64_t align16From) : classes_(makeClasses(align16From)) {
  // mksizeclasses.go: computeSizeToClass.
  sizeToClass8_.assign(kSmallSizeMax / kSmallSizeDiv + 1, 0);
  for (size_t i = 0; i < sizeToClass8_.size(); ++i) {
    const int64_t size = static_cast<int64_t>(i) * kSmallSizeDiv;
    for (int c = 1; c < numClasses(); ++c) {
      if (classes_[c].size >= size) { sizeToClass8_[i] = static_cast<uint8_t>(c); break; }
    }
  }
  sizeToClass128_.assign((kMaxSmallSize - kSmallSizeMax) / kLargeSizeDiv + 1, 0);
  for (size_t i = 0; i < sizeToClass128_.size(); ++i) {
    const int64_t size = kSmallSizeMax + static_cast<int64_t>(i) * kLargeSizeDiv;
    for (int c = 1; c < numClasses(); ++c) {
      if (classes_[c].size >= size) { sizeToClass128_[i] = static_cast<uint8_t>(c); break; }
    }
  }
}

const SizeClassTable& SizeClassTable::forRelease(const GoRelease& release) {
  // Go 1.16 inserted the 24-byte class by starting 16-byte alignment at 32 B instead of 16 B.
  static const SizeClassTable go115(16);
  static const SizeClassTable go116(32);
  return release.sizeClasses == SizeClassScheme::Go115 ? go115 : go116;
}

void SizeClassTable::badSize() { throw std::out_of_range("not a small object size"); }

Bytes SizeClassTable::roundUp(Bytes size) const {
  if (size.v <= 0) return Bytes(0);
  if (!isLarge(size)) return Bytes(classes_[classFor(size.v)].size);
  return toBytes(pagesFor(size));
}

}  // namespace gomemsim
