// os: the Linux side of memory, as far as RSS is concerned.
//
// Models: the anonymous memory the Go heap maps, at 4 KiB OS-page granularity. A page is
// resident once the program (or the runtime's zeroing) writes it; mapping alone (sysMap,
// Go 1.19 mem_linux.go) makes nothing resident. Releasing a range (sysUnused) with
// MADV_DONTNEED drops its pages from RSS at once; with MADV_FREE the pages stay in RSS as
// LazyFree (smaps) until the kernel reclaims them under memory pressure (reclaimLazyFree, driven
// by os/machine.h), or become ordinary resident pages again if written first. Non-heap runtime
// memory (metadata, stacks) is counted by its owners and added by the observer; the binary's
// own RSS is a baseline.
// Transparent huge pages (machine.thp: never | madvise | always, /sys/kernel/mm/
// transparent_hugepage/enabled): the heap is tracked per 2 MiB region (x86-64 HPAGE_PMD_SIZE;
// the heap's base is arena-aligned, so offset 0 is huge-page aligned) in one of three states,
// as the kernel's page-middle-directory entry for it is:
//   none  no page table yet. The first fault in a region that is eligible (thp=always and not
//         MADV_NOHUGEPAGE, or thp=madvise and MADV_HUGEPAGE over the whole region) and wholly
//         mapped gets a huge page (do_huge_pmd_anonymous_page): all 512 OS pages become
//         resident at once. Otherwise the region gets a page table and faults 4 KiB at a time.
//   huge  mapped by one huge page: every OS page in it is resident (smaps AnonHugePages).
//   pte   a page table of 4 KiB pages, for good: MADV_DONTNEED of part of a huge page splits
//         it (split_huge_pmd) and drops only the released pages, and zapping a page table's
//         entries does not free the table, so later faults stay 4 KiB.
// MADV_DONTNEED over a whole huge page frees it (zap_huge_pmd) and the region is none again;
// MADV_FREE over a whole huge page marks it LazyFree as a unit (madvise_free_huge_pmd), over
// part of one splits it first; reclaiming a LazyFree huge page splits its mapping.
// THP-inflated pages the program never wrote are ordinary resident pages here, so the RES
// breakdown counts them where they sit (free space in a span, or retained free pages).
// madvise advice (MADV_HUGEPAGE / MADV_NOHUGEPAGE) is kept per region; different advice over
// part of a region splits the VMA there, and a region straddling two VMAs never gets a huge
// page (transhuge_vma_suitable), so it is "mixed" until advice covers the whole region again
// (Go advises whole huge pages only). Advice does not split huge pages already there.
// The kernel's time for a release (madviseCost) follows what release() did: a fixed cost per
// madvise call, per resident 4 KiB page zapped from a page table (or marked LazyFree), per
// huge page freed whole (zap_huge_pmd) and per huge page split (split_huge_pmd); pages that
// are not resident cost nothing beyond the call.
// Does not model: khugepaged's later collapse of pte regions (default scan 4096 pages per
// 10 s), THP allocation failure under fragmentation, swap, file-backed pages, page tables'
// own memory, TLB shootdowns to other CPUs as a separate cost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bitmap.h"
#include "goversion/goversion.h"
#include "units/units.h"

namespace gomemsim {

enum class MadviseMode { DontNeed, Free };
MadviseMode parseMadviseMode(const std::string& name);  // "dontneed" | "free"
const char* madviseName(MadviseMode m);

// How a Go release on Linux releases memory (runtime.madvise = auto; GoRelease::madvise). knob: "auto" | "dontneed"
// | "free" (an explicit mode wins); godebug: the GODEBUG string (comma-separated name=value,
// the last madvdontneed wins, as runtime1.go parsedebugvars reads it in order).
//   Go <= 1.11  MADV_DONTNEED always (mem_linux.go sysUnused; no madvdontneed setting).
//   Go 1.12-1.15 MADV_FREE (mem_linux.go adviseUnused = _MADV_FREE, kernel >= 4.5);
//               GODEBUG=madvdontneed=1 reverts to DONTNEED (runtime1.go dbgvars, issue 28466).
//   Go 1.16+    MADV_DONTNEED (runtime1.go parsedebugvars: debug.madvdontneed = 1 on Linux);
//               GODEBUG=madvdontneed=0 selects MADV_FREE (mem_linux.go sysUnusedOS).
// Any non-zero value means DONTNEED (sysUnusedOS: debug.madvdontneed != 0).
MadviseMode resolveMadvise(const std::string& knob, const GoRelease& release, const std::string& godebug);

// /sys/kernel/mm/transparent_hugepage/enabled.
enum class ThpMode { Never, Madvise, Always };
ThpMode parseThpMode(const std::string& name);  // "never" | "madvise" | "always"
const char* thpName(ThpMode m);

// madvise(2) huge-page advice.
enum class HugePageAdvice { HugePage, NoHugePage };

inline constexpr int64_t kHugePageSize = 2 << 20;  // x86-64 HPAGE_PMD_SIZE

// What one or more madvise(MADV_DONTNEED / MADV_FREE) calls did.
struct ReleaseWork {
  int64_t calls = 0;       // madvise calls
  int64_t ptePages = 0;    // resident 4 KiB pages dropped from (or marked LazyFree in) a page table
  int64_t hugeFreed = 0;   // huge pages wholly released (zap_huge_pmd; MADV_FREE: marked LazyFree)
  int64_t hugeSplit = 0;   // huge pages split because the range covered only part of them
  ReleaseWork& operator+=(const ReleaseWork& o) {
    calls += o.calls;
    ptePages += o.ptePages;
    hugeFreed += o.hugeFreed;
    hugeSplit += o.hugeSplit;
    return *this;
  }
};

// The kernel's cost of releasing memory, calibrated on the real Go 1.19 runs of the fidelity set
// on this machine kind (tests/fidelity/README.md, "free constants"; Linux 6.x, x86-64):
//   kMadviseCallNs     syscall entry, mmap_lock and TLB flush per call: not separable in
//                      those runs (calls are mostly 2 MiB); ~1 us is the usual order
//   kZapNsPerOsPage    gc-then-idle run-1..3: the background scavenger's first two batches
//                      (>= 1 ms of work each, in 2 MiB calls over 4 KiB-page memory) release 11
//                      and 14 MiB (trace.csv heap_released), ~12.5 MiB per ms; its wind-up burst
//                      ~360 MiB in ~27 such batches
//   kZapNsPerHugePage  seed-1gb run-1..6: debug.FreeOSMemory releases ~4 GiB of huge-page-backed
//                      slices in 18-19 ms (steps.csv), ~9.3 us per 2 MiB huge page
//   kSplitHugePageNs   not measured by the set: taken as one huge-page zap
inline constexpr double kMadviseCallNs = 1000;
inline constexpr double kZapNsPerOsPage = 310;
inline constexpr double kZapNsPerHugePage = 9300;
inline constexpr double kSplitHugePageNs = 9300;
// The kernel time of w on a machine cpuSpeed times as fast as the calibration machine.
Duration madviseCost(const ReleaseWork& w, double cpuSpeed = 1.0);
inline constexpr int64_t kOsPagesPerHugePage = kHugePageSize / kOsPageSize;  // 512

class OsMemory {
 public:
  explicit OsMemory(MadviseMode mode, ThpMode thp = ThpMode::Never) : mode_(mode), thp_(thp) {}

  MadviseMode mode() const { return mode_; }
  ThpMode thp() const { return thp_; }
  // Makes [0, end) of the heap address space mappable (offsets from the heap base).
  void mapUpTo(Bytes end);
  Bytes mapped() const { return Bytes(resident_.size() * kOsPageSize); }

  // The program or the runtime wrote [addr, addr+len): those OS pages become resident (with
  // THP, the whole 2 MiB region on a huge-page fault).
  void touch(Bytes addr, Bytes len) {
    if (len.v <= 0) return;
    const int64_t first = addr.v >> kOsPageShift;  // (heap offsets are never negative)
    const int64_t last = (addr.v + len.v - 1) >> kOsPageShift;
    if (first == last) {  // the common case for small objects
      if (!resident_.get(first)) {
        // (a page that is not resident is never in a huge page: those are all resident)
        if (thp_ != ThpMode::Never && regionState_[static_cast<size_t>(first / kOsPagesPerHugePage)] == kNoTable) {
          touchRange(first, 1);  // first fault in the region
        } else {
          resident_.set(first);
          ++residentPages_;
          ++pageFaults_;
        }
      } else if (lazyFreePages_ != 0 && lazy_.get(first)) {
        lazy_.clear(first);
        --lazyFreePages_;
      }
      return;
    }
    touchRange(first, last - first + 1);
  }
  // sysUnused: madvise the range away (whole OS pages inside it), in one call.
  ReleaseWork release(Bytes addr, Bytes len);
  // madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE) over [addr, addr+len).
  void advise(Bytes addr, Bytes len, HugePageAdvice advice);
  // Memory pressure: the kernel discards up to `want` bytes of LazyFree pages. Returns bytes.
  Bytes reclaimLazyFree(Bytes want);

  Bytes resident() const { return Bytes(residentPages_ * kOsPageSize); }  // incl. LazyFree
  // Page faults so far: 4 KiB pages faulted in one by one, and huge pages (a whole 2 MiB
  // region at the first touch). The program pays for them (workload.h mutator cost model).
  int64_t pageFaults() const { return pageFaults_; }
  int64_t hugePageFaults() const { return hugePageFaults_; }
  Bytes lazyFree() const { return Bytes(lazyFreePages_ * kOsPageSize); }
  // smaps AnonHugePages: bytes mapped by huge pages.
  Bytes anonHugePages() const { return Bytes(hugeRegions_ * kHugePageSize); }
  // Resident bytes that are not LazyFree, in the runtime's 8 KiB pages whose bit is clear in
  // `pagesInUse` (the page allocator's bitmap): free memory that still counts in RSS. One pass
  // over the bitmaps, 32 runtime pages per step.
  Bytes residentInFreePages(const Bitmap& pagesInUse) const;
  Bytes residentIn(Bytes addr, Bytes len) const { return countIn(resident_, addr, len); }
  // Resident bytes that are not LazyFree in the runtime pages whose bit is set in `pages`.
  Bytes residentInPages(const Bitmap& pages) const;

  // For audits (tests, fuzzing): the counts above recounted from the page bitmaps, apart from
  // the counters that resident(), lazyFree() and anonHugePages() read. O(mapped pages).
  struct Recount {
    int64_t residentPages = 0, lazyFreePages = 0, hugeRegions = 0;
    int64_t lazyNotResident = 0;  // LazyFree pages must be resident
    int64_t hugeNotResident = 0;  // every OS page of a huge page is resident
  };
  Recount recount() const;
  Bytes lazyFreeIn(Bytes addr, Bytes len) const { return countIn(lazy_, addr, len); }

 private:
  enum RegionState : uint8_t { kNoTable = 0, kPteTable = 1, kHuge = 2 };
  enum RegionAdvice : uint8_t { kDefault = 0, kAdvisedHuge = 1, kAdvisedNoHuge = 2, kMixed = 3 };
  void touchRange(int64_t first, int64_t n);
  bool hugeEligible(int64_t region) const;
  // Huge regions overlapping [first, end) that the range does not cover whole become page
  // tables (split); with dropWhole, wholly covered ones are freed (no table).
  void splitFor(int64_t first, int64_t end, bool dropWhole, ReleaseWork& work);
  static Bytes countIn(const Bitmap& pages, Bytes addr, Bytes len);
  MadviseMode mode_;
  ThpMode thp_;
  Bitmap resident_;
  Bitmap lazy_;
  int64_t residentPages_ = 0;
  int64_t lazyFreePages_ = 0;
  std::vector<uint8_t> regionState_;   // per 2 MiB region, only with thp != never
  std::vector<uint8_t> regionAdvice_;
  int64_t hugeRegions_ = 0;
  int64_t pageFaults_ = 0;
  int64_t hugePageFaults_ = 0;
};

}  // namespace gomemsim
