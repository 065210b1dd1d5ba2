#include "os/os_memory.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "common/godebug.h"

namespace gomemsim {

MadviseMode parseMadviseMode(const std::string& name) {
  if (name == "dontneed") return MadviseMode::DontNeed;
  if (name == "free") return MadviseMode::Free;
  throw std::invalid_argument("madvise mode must be dontneed or free, not '" + name + "'");
}

const char* madviseName(MadviseMode m) { return m == MadviseMode::DontNeed ? "dontneed" : "free"; }

MadviseMode resolveMadvise(const std::string& knob, const GoRelease& release, const std::string& godebug) {
  if (knob != "auto") return parseMadviseMode(knob);
  if (release.madvise == MadviseDefault::DontNeedOnly) return MadviseMode::DontNeed;  // no madvdontneed before Go 1.12
  // Go 1.12-1.15: debug.madvdontneed defaults to 0 (MADV_FREE); Go 1.16+: 1 on Linux.
  int64_t madvdontneed = release.madvise == MadviseDefault::Free ? 0 : 1;
  if (const auto v = godebugValue(godebug, "madvdontneed")) madvdontneed = *v;
  return madvdontneed != 0 ? MadviseMode::DontNeed : MadviseMode::Free;
}

ThpMode parseThpMode(const std::string& name) {
  if (name == "never") return ThpMode::Never;
  if (name == "madvise") return ThpMode::Madvise;
  if (name == "always") return ThpMode::Always;
  throw std::invalid_argument("transparent huge pages mode must be never, madvise or always, not '" + name + "'");
}

const char* thpName(ThpMode m) {
  switch (m) {
    case ThpMode::Never: return "never";
    case ThpMode::Madvise: return "madvise";
    case ThpMode::Always: return "always";
  }
  return "?";
}

void OsMemory::mapUpTo(Bytes end) {
  const int64_t pages = (end.v + kOsPageSize - 1) / kOsPageSize;
  if (pages > resident_.size()) {
    resident_.resize(pages);
    lazy_.resize(pages);
    if (thp_ != ThpMode::Never) {
      const auto regions = static_cast<size_t>((pages + kOsPagesPerHugePage - 1) / kOsPagesPerHugePage);
      regionState_.resize(regions, kNoTable);
      regionAdvice_.resize(regions, kDefault);
    }
  }
}

bool OsMemory::hugeEligible(int64_t region) const {
  // mm/huge_memory.c hugepage_vma_check: always = unless VM_NOHUGEPAGE; madvise = only
  // VM_HUGEPAGE; and the aligned 2 MiB must lie inside the mapping (transhuge_vma_suitable).
  if ((region + 1) * kOsPagesPerHugePage > resident_.size()) return false;
  const uint8_t a = regionAdvice_[static_cast<size_t>(region)];
  if (thp_ == ThpMode::Always) return a == kDefault || a == kAdvisedHuge;
  if (thp_ == ThpMode::Madvise) return a == kAdvisedHuge;
  return false;
}

void OsMemory::touchRange(int64_t first, int64_t n) {
  if (thp_ != ThpMode::Never) {
    // Page faults region by region: a region without a page table gets a huge page if it may.
    const int64_t end = first + n;
    for (int64_t r = first / kOsPagesPerHugePage; r * kOsPagesPerHugePage < end; ++r) {
      uint8_t& st = regionState_[static_cast<size_t>(r)];
      if (st != kNoTable) continue;
      if (hugeEligible(r)) {
        st = kHuge;
        ++hugeRegions_;
        ++hugePageFaults_;
        residentPages_ += resident_.setRange(r * kOsPagesPerHugePage, kOsPagesPerHugePage);
      } else {
        st = kPteTable;
      }
    }
  }
  const int64_t faulted = resident_.setRange(first, n);
  residentPages_ += faulted;
  pageFaults_ += faulted;
  if (lazyFreePages_ != 0) lazyFreePages_ -= lazy_.clearRange(first, n);
}

void OsMemory::splitFor(int64_t first, int64_t end, bool dropWhole, ReleaseWork& work) {
  for (int64_t r = first / kOsPagesPerHugePage; r * kOsPagesPerHugePage < end; ++r) {
    uint8_t& st = regionState_[static_cast<size_t>(r)];
    if (st != kHuge) continue;
    const bool whole = first <= r * kOsPagesPerHugePage && (r + 1) * kOsPagesPerHugePage <= end;
    if (whole) ++work.hugeFreed; else ++work.hugeSplit;
    if (whole && !dropWhole) continue;   // MADV_FREE of a whole huge page keeps it whole
    st = whole ? kNoTable : kPteTable;   // zap_huge_pmd / split_huge_pmd
    --hugeRegions_;
  }
}

ReleaseWork OsMemory::release(Bytes addr, Bytes len) {
  ReleaseWork work;
  work.calls = 1;
  // Only OS pages wholly inside the range can be released.
  const int64_t first = (addr.v + kOsPageSize - 1) / kOsPageSize;
  const int64_t end = (addr.v + len.v) / kOsPageSize;
  if (end <= first) return work;
  const int64_t residentBefore = countIn(resident_, Bytes(first * kOsPageSize), Bytes((end - first) * kOsPageSize)).v / kOsPageSize;
  if (hugeRegions_ != 0) splitFor(first, end, mode_ == MadviseMode::DontNeed, work);
  // Pages of wholly released huge pages are the huge pages' cost, not the page tables'.
  work.ptePages = std::max<int64_t>(0, residentBefore - work.hugeFreed * kOsPagesPerHugePage);
  if (mode_ == MadviseMode::DontNeed) {
    const int64_t dropped = resident_.clearRange(first, end - first);
    residentPages_ -= dropped;
    lazyFreePages_ -= lazy_.clearRange(first, end - first);
    return work;
  }
  // MADV_FREE: resident pages in the range become lazily freeable; non-resident stay so.
  for (int64_t p = resident_.findNext(first, true); p < end; p = resident_.findNext(p + 1, true)) {
    if (!lazy_.get(p)) { lazy_.set(p); ++lazyFreePages_; }
  }
  return work;
}

Duration madviseCost(const ReleaseWork& w, double cpuSpeed) {
  const double ns = static_cast<double>(w.calls) * kMadviseCallNs + static_cast<double>(w.ptePages) * kZapNsPerOsPage +
                    static_cast<double>(w.hugeFreed) * kZapNsPerHugePage + static_cast<double>(w.hugeSplit) * kSplitHugePageNs;
  return Duration(static_cast<int64_t>(ns / cpuSpeed));
}

void OsMemory::advise(Bytes addr, Bytes len, HugePageAdvice advice) {
  if (thp_ == ThpMode::Never || len.v <= 0) return;
  const int64_t first = addr.v / kOsPageSize;
  const int64_t end = std::min(resident_.size(), (addr.v + len.v + kOsPageSize - 1) / kOsPageSize);
  const uint8_t a = advice == HugePageAdvice::HugePage ? kAdvisedHuge : kAdvisedNoHuge;
  for (int64_t r = first / kOsPagesPerHugePage; r * kOsPagesPerHugePage < end; ++r) {
    const bool whole = first <= r * kOsPagesPerHugePage && (r + 1) * kOsPagesPerHugePage <= end;
    uint8_t& cur = regionAdvice_[static_cast<size_t>(r)];
    cur = whole || cur == a ? a : static_cast<uint8_t>(kMixed);
  }
}

Bytes OsMemory::reclaimLazyFree(Bytes want) {
  int64_t need = (want.v + kOsPageSize - 1) / kOsPageSize;
  int64_t got = 0;
  for (int64_t p = lazy_.findNext(0, true); p < lazy_.size() && got < need;
       p = lazy_.findNext(p + 1, true)) {
    if (hugeRegions_ != 0) {
      uint8_t& st = regionState_[static_cast<size_t>(p / kOsPagesPerHugePage)];
      if (st == kHuge) { st = kPteTable; --hugeRegions_; }  // the huge page's mapping is split
    }
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
    const uint64_t resident = resident_.word(w);
    if (resident == 0) continue;  // nothing resident here (released or never touched)
    const int64_t inUseWord = w >> 1;  // 64 OS pages = 32 runtime pages = half a word
    const uint32_t inUse = inUseWord < pagesInUse.numWords()
                               ? static_cast<uint32_t>(pagesInUse.word(inUseWord) >> ((w & 1) * 32))
                               : 0;
    if (inUse == 0xFFFFFFFFu) continue;  // every page in use
    count += popcount64(resident & ~lazy_.word(w) & ~doubleBits(inUse));
  }
  return Bytes(count * kOsPageSize);
}

Bytes OsMemory::residentInPages(const Bitmap& pages) const {
  static_assert(kOsPagesPerPage == 2, "one runtime page is two OS pages");
  int64_t count = 0;
  for (int64_t w = 0; w < resident_.numWords(); ++w) {
    const int64_t pagesWord = w >> 1;
    const uint32_t in = pagesWord < pages.numWords() ? static_cast<uint32_t>(pages.word(pagesWord) >> ((w & 1) * 32)) : 0;
    if (in == 0) continue;
    count += popcount64(resident_.word(w) & ~lazy_.word(w) & doubleBits(in));
  }
  return Bytes(count * kOsPageSize);
}

OsMemory::Recount OsMemory::recount() const {
  Recount r;
  for (int64_t w = 0; w < resident_.numWords(); ++w) {
    r.residentPages += popcount64(resident_.word(w));
    r.lazyFreePages += popcount64(lazy_.word(w));
    r.lazyNotResident += popcount64(lazy_.word(w) & ~resident_.word(w));
  }
  for (size_t region = 0; region < regionState_.size(); ++region) {
    if (regionState_[region] != kHuge) continue;
    ++r.hugeRegions;
    const int64_t first = static_cast<int64_t>(region) * kOsPagesPerHugePage;
    r.hugeNotResident += kOsPagesPerHugePage - resident_.count(first, std::min(kOsPagesPerHugePage, resident_.size() - first));
  }
  return r;
}

Bytes OsMemory::countIn(const Bitmap& pages, Bytes addr, Bytes len) {
  // Every OS page the range touches, even partly.
  const int64_t first = addr.v / kOsPageSize;
  const int64_t end = (addr.v + len.v + kOsPageSize - 1) / kOsPageSize;
  return Bytes(pages.count(first, end - first) * kOsPageSize);
}

}  // namespace gomemsim
