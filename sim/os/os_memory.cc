#include "os/os_memory.h"

#include <stdexcept>

namespace gomemsim {

MadviseMode parseMadviseMode(const std::string& name) {
  if (name == "dontneed") return MadviseMode::DontNeed;
  if (name == "free") return MadviseMode::Free;
  throw std::invalid_argument("madvise mode must be dontneed or free, not '" + name + "'");
}

const char* madviseName(MadviseMode m) { return m == MadviseMode::DontNeed ? "dontneed" : "free"; }

void OsMemory::mapUpTo(Bytes end) {
  const int64_t pages = (end.v + kOsPageSize - 1) / kOsPageSize;
  if (pages > resident_.size()) {
    resident_.resize(pages);
    lazy_.resize(pages);
  }
}

void OsMemory::touchRange(int64_t first, int64_t n) {
  residentPages_ += resident_.setRange(first, n);
  if (lazyFreePages_ != 0) lazyFreePages_ -= lazy_.clearRange(first, n);
}

void OsMemory::release(Bytes addr, Bytes len) {
  // Only OS pages wholly inside the range can be released.
  const int64_t first = (addr.v + kOsPageSize - 1) / kOsPageSize;
  const int64_t end = (addr.v + len.v) / kOsPageSize;
  if (end <= first) return;
  if (mode_ == MadviseMode::DontNeed) {
    const int64_t dropped = resident_.clearRange(first, end - first);
    residentPages_ -= dropped;
    lazyFreePages_ -= lazy_.clearRange(first, end - first);
    return;
  }
  // MADV_FREE: resident pages in the range become lazily freeable; non-resident stay so.
  for (int64_t p = resident_.findNext(first, true); p < end; p = resident_.findNext(p + 1, true)) {
    if (!lazy_.get(p)) { lazy_.set(p); ++lazyFreePages_; }
  }
}

Bytes OsMemory::reclaimLazyFree(Bytes want) {
  int64_t need = (want.v + kOsPageSize - 1) / kOsPageSize;
  int64_t got = 0;
  for (int64_t p = lazy_.findNext(0, true); p < lazy_.size() && got < need;
       p = lazy_.findNext(p + 1, true)) {
    lazy_.clear(p);
    resident_.clear(p);
    ++got;
  }
  lazyFreePages_ -= got;
  residentPages_ -= got;
  return Bytes(got * kOsPageSize);
}

namespace {
// Each of the 32 low bits of x twice: bit i goes to bits 2i and 2i+1 (one runtime page is two
// OS pages).
uint64_t doubleBits(uint64_t x) {
  x &= 0xFFFFFFFFULL;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x | (x << 1);
}
}  // namespace

Bytes OsMemory::residentInFreePages(const Bitmap& pagesInUse) const {
  static_assert(kOsPagesPerPage == 2, "one runtime page is two OS pages");
  int64_t count = 0;
  for (int64_t w = 0; w < resident_.numWords(); ++w) {
    const int64_t inUseWord = w >> 1;  // 64 OS pages = 32 runtime pages = half a word
    const uint64_t inUse =
        inUseWord < pagesInUse.numWords() ? pagesInUse.word(inUseWord) >> ((w & 1) * 32) : 0;
    count += popcount64(resident_.word(w) & ~lazy_.word(w) & ~doubleBits(inUse));
  }
  return Bytes(count * kOsPageSize);
}

Bytes OsMemory::countIn(const Bitmap& pages, Bytes addr, Bytes len) {
  // Every OS page the range touches, even partly.
  const int64_t first = addr.v / kOsPageSize;
  const int64_t end = (addr.v + len.v + kOsPageSize - 1) / kOsPageSize;
  return Bytes(pages.count(first, end - first) * kOsPageSize);
}

}  // namespace gomemsim
