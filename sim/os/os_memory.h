// os: the Linux side of memory, as far as RSS is concerned.
//
// Models: the anonymous memory the Go heap maps, at 4 KiB OS-page granularity. A page is
// resident once the program (or the runtime's zeroing) writes it; mapping alone (sysMap,
// Go 1.19 mem_linux.go) makes nothing resident. Releasing a range (sysUnused) with
// MADV_DONTNEED drops its pages from RSS at once; with MADV_FREE the pages stay in RSS as
// LazyFree (smaps) until the kernel reclaims them under memory pressure, or become ordinary
// resident pages again if written first. Non-heap runtime memory (metadata, stacks) is counted
// by its owners and added by the observer; the binary's own RSS is a baseline.
// Does not model: transparent huge pages, swap, file-backed pages, page tables.
#pragma once

#include <cstdint>
#include <string>

#include "common/bitmap.h"
#include "units/units.h"

namespace gomemsim {

enum class MadviseMode { DontNeed, Free };
MadviseMode parseMadviseMode(const std::string& name);  // "dontneed" | "free"
const char* madviseName(MadviseMode m);

class OsMemory {
 public:
  explicit OsMemory(MadviseMode mode) : mode_(mode) {}

  MadviseMode mode() const { return mode_; }
  // Makes [0, end) of the heap address space mappable (offsets from the heap base).
  void mapUpTo(Bytes end);
  Bytes mapped() const { return Bytes(resident_.size() * kOsPageSize); }

  // The program or the runtime wrote [addr, addr+len): those OS pages become resident.
  void touch(Bytes addr, Bytes len) {
    if (len.v <= 0) return;
    const int64_t first = addr.v >> kOsPageShift;  // (heap offsets are never negative)
    const int64_t last = (addr.v + len.v - 1) >> kOsPageShift;
    if (first == last) {  // the common case for small objects
      if (!resident_.get(first)) { resident_.set(first); ++residentPages_; }
      else if (lazyFreePages_ != 0 && lazy_.get(first)) { lazy_.clear(first); --lazyFreePages_; }
      return;
    }
    touchRange(first, last - first + 1);
  }
  // sysUnused: madvise the range away (whole OS pages inside it).
  void release(Bytes addr, Bytes len);
  // Memory pressure: the kernel discards up to `want` bytes of LazyFree pages. Returns bytes.
  Bytes reclaimLazyFree(Bytes want);

  Bytes resident() const { return Bytes(residentPages_ * kOsPageSize); }  // incl. LazyFree
  Bytes lazyFree() const { return Bytes(lazyFreePages_ * kOsPageSize); }
  // Resident bytes that are not LazyFree, in the runtime's 8 KiB pages whose bit is clear in
  // `pagesInUse` (the page allocator's bitmap): free memory that still counts in RSS. One pass
  // over the bitmaps, 32 runtime pages per step.
  Bytes residentInFreePages(const Bitmap& pagesInUse) const;
  Bytes residentIn(Bytes addr, Bytes len) const { return countIn(resident_, addr, len); }
  Bytes lazyFreeIn(Bytes addr, Bytes len) const { return countIn(lazy_, addr, len); }

 private:
  void touchRange(int64_t first, int64_t n);
  static Bytes countIn(const Bitmap& pages, Bytes addr, Bytes len);
  MadviseMode mode_;
  Bitmap resident_;
  Bitmap lazy_;
  int64_t residentPages_ = 0;
  int64_t lazyFreePages_ = 0;
};

}  // namespace gomemsim
