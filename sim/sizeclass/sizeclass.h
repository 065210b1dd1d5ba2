// sizeclass: Go's size-class table, the size -> class mapping, the tiny allocator's limits and
// the large-object rule.
//
// Models: the table that cmd/runtime's mksizeclasses.go generates (Go 1.16+: 68 entries with the
// 24-byte class; Go <= 1.15: 67 entries, 16-byte alignment from 16 B up). The table is produced
// here by the same algorithm (makeClasses) rather than copied, and sizeclass_test.cc checks every
// row against the Go 1.19 source (runtime/sizeclasses.go). Objects larger than 32 KiB are "large":
// a dedicated span of ceil(size/8 KiB) pages (Go 1.19 malloc.go: mallocgc, mcache.allocLarge).
// Objects < 16 B without pointers are "tiny" (malloc.go: _TinySize = 16, _TinySizeClass = 2).
// Does not model: Go 1.22's 8-byte malloc header for pointerful objects > 512 B (the +8 B rule).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "goversion/goversion.h"
#include "units/units.h"

namespace gomemsim {

// Go 1.19 sizeclasses.go / malloc.go constants.
inline constexpr int64_t kMaxSmallSize = 32768;  // _MaxSmallSize
inline constexpr int64_t kTinySize = 16;         // _TinySize
inline constexpr int kTinySizeClass = 2;         // _TinySizeClass
inline constexpr int kMaxSizeClasses = 68;       // _NumSizeClasses in Go 1.19 (older tables have fewer)
inline constexpr int64_t kSmallSizeDiv = 8;      // smallSizeDiv
inline constexpr int64_t kSmallSizeMax = 1024;   // smallSizeMax
inline constexpr int64_t kLargeSizeDiv = 128;    // largeSizeDiv

struct SizeClass {
  int64_t size = 0;     // bytes per object (class_to_size)
  int64_t npages = 0;   // pages per span (class_to_allocnpages)
  int64_t objects = 0;  // objects per span
  int64_t tailWaste = 0;  // span bytes - objects*size
};

class SizeClassTable {
 public:
  // The table as generated for a Go release (GoRelease::sizeClasses: Go <= 1.15 67 classes,
  // Go 1.16+ 68).
  static const SizeClassTable& forRelease(const GoRelease& release);
  // Builds a table with mksizeclasses.go's makeClasses; align16From is the size from which the
  // minimum alignment is 16 bytes (16 in Go <= 1.15, 32 in Go 1.16+).
  explicit SizeClassTable(int64_t align16From);

  int numClasses() const { return static_cast<int>(classes_.size()); }  // incl. class 0
  const SizeClass& cls(int c) const { return classes_[c]; }
  // Class for a small object size (1..32768); Go 1.19 msize.go/malloc.go size_to_class8/128.
  int classFor(int64_t size) const {
    if (size <= 0 || size > kMaxSmallSize) badSize();
    // malloc.go: size <= smallSizeMax-8 uses size_to_class8 (divRoundUp by 8).
    if (size <= kSmallSizeMax - 8) return sizeToClass8_[static_cast<size_t>((size + kSmallSizeDiv - 1) / kSmallSizeDiv)];
    return sizeToClass128_[static_cast<size_t>((size - kSmallSizeMax + kLargeSizeDiv - 1) / kLargeSizeDiv)];
  }
  // Bytes a request of `size` occupies: class size, or whole pages for a large object
  // (msize.go: roundupsize).
  Bytes roundUp(Bytes size) const;

 private:
  [[noreturn]] static void badSize();
  std::vector<SizeClass> classes_;
  std::vector<uint8_t> sizeToClass8_;
  std::vector<uint8_t> sizeToClass128_;
};

inline bool isLarge(Bytes size) { return size.v > kMaxSmallSize; }
inline bool isTiny(Bytes size, bool pointers) { return !pointers && size.v < kTinySize; }

}  // namespace gomemsim
