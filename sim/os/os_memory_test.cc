#include "os/os_memory.h"

#include <gtest/gtest.h>

#include "common/rng.h"
#include "os/machine.h"

namespace gomemsim {
namespace {

TEST(OsMemory, MappingMakesNothingResidentTouchDoes) {
  OsMemory os(MadviseMode::DontNeed);
  os.mapUpTo(MiB(4));
  EXPECT_EQ(os.resident().v, 0);
  os.touch(Bytes(100), Bytes(8));  // one byte range inside page 0
  EXPECT_EQ(os.resident().v, 4096);
  os.touch(Bytes(4000), Bytes(200));  // straddles pages 0 and 1
  EXPECT_EQ(os.resident().v, 8192);
  os.touch(Bytes(0), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
}

TEST(OsMemory, DontNeedDropsAtOnce) {
  OsMemory os(MadviseMode::DontNeed);
  os.mapUpTo(MiB(4));
  os.touch(Bytes(0), MiB(2));
  os.release(MiB(1), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
  EXPECT_EQ(os.lazyFree().v, 0);
  // Partial OS pages at the edges are not released.
  os.release(Bytes(100), Bytes(5000));
  EXPECT_EQ(os.resident(), MiB(1));
}

TEST(OsMemory, FreeKeepsPagesResidentUntilPressure) {
  OsMemory os(MadviseMode::Free);
  os.mapUpTo(MiB(4));
  os.touch(Bytes(0), MiB(2));
  os.release(Bytes(0), MiB(2));
  EXPECT_EQ(os.resident(), MiB(2));
  EXPECT_EQ(os.lazyFree(), MiB(2));
  os.touch(Bytes(0), KiB(8));  // written again before reclaim: ordinary page again
  EXPECT_EQ(os.lazyFree(), MiB(2) - KiB(8));
  EXPECT_EQ(os.reclaimLazyFree(MiB(1)), MiB(1));
  EXPECT_EQ(os.resident(), MiB(1));
  EXPECT_EQ(os.reclaimLazyFree(MiB(8)), MiB(1) - KiB(8));
  EXPECT_EQ(os.resident(), KiB(8));
  EXPECT_EQ(os.lazyFree().v, 0);
}

// The whole-bitmap pass must agree with counting run by run.
TEST(OsMemory, ResidentInFreePagesMatchesRunByRunCount) {
  OsMemory os(MadviseMode::Free);
  const int64_t heapPages = 700;  // runtime pages, not a multiple of 32
  os.mapUpTo(toBytes(Pages(heapPages)));
  Rng rng(4);
  Bitmap inUse;
  inUse.resize(heapPages);
  for (int64_t p = 0; p < heapPages; ++p) {
    if (rng.below(3) == 0) inUse.set(p);
    if (rng.below(2) == 0) os.touch(toBytes(Pages(p)) + Bytes(static_cast<int64_t>(rng.below(8192))), Bytes(100));
  }
  for (int i = 0; i < 40; ++i) {  // some MADV_FREE'd ranges
    const int64_t p = static_cast<int64_t>(rng.below(heapPages - 4));
    os.release(toBytes(Pages(p)), toBytes(Pages(3)));
  }
  int64_t expected = 0;
  for (int64_t p = 0; p < heapPages; ++p) {
    if (inUse.get(p)) continue;
    expected += os.residentIn(toBytes(Pages(p)), toBytes(Pages(1))).v - os.lazyFreeIn(toBytes(Pages(p)), toBytes(Pages(1))).v;
  }
  EXPECT_GT(expected, 0);
  EXPECT_GT(os.lazyFree().v, 0);
  EXPECT_EQ(os.residentInFreePages(inUse).v, expected);
}

// --- madvise mode per Go version (runtime1.go, mem_linux.go) ---

TEST(ResolveMadvise, GoVersionDefaultsAndGodebug) {
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.11"), ""), MadviseMode::DontNeed);
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.11"), "madvdontneed=0"), MadviseMode::DontNeed) << "no such setting before 1.12";
  for (const char* v : {"1.12", "1.13", "1.14", "1.15"}) {
    EXPECT_EQ(resolveMadvise("auto", goRelease(v), ""), MadviseMode::Free) << v;
    EXPECT_EQ(resolveMadvise("auto", goRelease(v), "madvdontneed=1"), MadviseMode::DontNeed) << v;
  }
  for (const char* v : {"1.16", "1.19", "1.22"}) {
    EXPECT_EQ(resolveMadvise("auto", goRelease(v), ""), MadviseMode::DontNeed) << v;
    EXPECT_EQ(resolveMadvise("auto", goRelease(v), "madvdontneed=0"), MadviseMode::Free) << v;
  }
  // parsedebugvars: fields in order, the last wins; any non-zero value is DONTNEED; a value
  // atoi rejects changes nothing; other names do not match.
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.19"), "madvdontneed=0,gctrace=1,madvdontneed=1"), MadviseMode::DontNeed);
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.19"), "madvdontneed=1,madvdontneed=0"), MadviseMode::Free);
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.15"), "madvdontneed=2"), MadviseMode::DontNeed);
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.19"), "madvdontneed=x"), MadviseMode::DontNeed);
  EXPECT_EQ(resolveMadvise("auto", goRelease("1.19"), "xmadvdontneed=0"), MadviseMode::DontNeed);
  // An explicit mode wins over the version and GODEBUG.
  EXPECT_EQ(resolveMadvise("free", goRelease("1.19"), "madvdontneed=1"), MadviseMode::Free);
  EXPECT_EQ(resolveMadvise("dontneed", goRelease("1.14"), "madvdontneed=0"), MadviseMode::DontNeed);
  EXPECT_THROW(resolveMadvise("lazy", goRelease("1.19"), ""), std::invalid_argument);
}

// --- transparent huge pages ---

TEST(OsMemoryThp, AlwaysFaultsTheWhole2MiBRegionOnFirstTouch) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Always);
  os.mapUpTo(MiB(8));
  os.touch(MiB(3), Bytes(1));  // region [2, 4) MiB
  EXPECT_EQ(os.resident(), MiB(2));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
  os.touch(MiB(3) + KiB(512), KiB(64));  // inside the same huge page: nothing new
  EXPECT_EQ(os.resident(), MiB(2));
  os.touch(MiB(4) - Bytes(8), Bytes(16));  // straddles into [4, 6)
  EXPECT_EQ(os.resident(), MiB(4));
  EXPECT_EQ(os.anonHugePages(), MiB(4));
  // The same touches with THP never: 4 KiB pages.
  OsMemory small(MadviseMode::DontNeed, ThpMode::Never);
  small.mapUpTo(MiB(8));
  small.touch(MiB(3), Bytes(1));
  small.touch(MiB(3) + KiB(512), KiB(64));
  small.touch(MiB(4) - Bytes(8), Bytes(16));
  EXPECT_EQ(small.resident(), KiB(4) + KiB(64) + KiB(8));
  EXPECT_EQ(small.anonHugePages().v, 0);
}

TEST(OsMemoryThp, OnlyWhollyMappedRegionsGetHugePages) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Always);
  os.mapUpTo(MiB(3));            // the region [2, 4) is half mapped
  os.touch(MiB(2) + KiB(100), Bytes(1));
  EXPECT_EQ(os.resident(), KiB(4));
  EXPECT_EQ(os.anonHugePages().v, 0);
  os.mapUpTo(MiB(4));            // now it is mapped, but it has a page table: 4 KiB faults stay
  os.touch(MiB(3) + KiB(100), Bytes(1));
  EXPECT_EQ(os.resident(), KiB(8));
}

TEST(OsMemoryThp, MadviseModeNeedsMadvHugepageOverTheWholeRegion) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Madvise);
  os.mapUpTo(MiB(16));
  os.touch(Bytes(0), Bytes(1));  // no advice: 4 KiB
  EXPECT_EQ(os.resident(), KiB(4));
  os.advise(MiB(4), MiB(2), HugePageAdvice::HugePage);
  os.touch(MiB(5), Bytes(1));
  EXPECT_EQ(os.resident(), KiB(4) + MiB(2));
  // Advice over part of a region splits the VMA there: no huge page in that region.
  os.advise(MiB(7), MiB(2), HugePageAdvice::HugePage);  // [6,8) half, [8,10) half
  os.touch(MiB(7) + KiB(4), Bytes(1));
  os.touch(MiB(8), Bytes(1));
  EXPECT_EQ(os.resident(), KiB(4) + MiB(2) + KiB(8));
  // Advice over a whole region makes it one VMA again. (Go advises whole huge pages only;
  // piecewise advice that would add up to a whole region is not tracked.)
  os.advise(MiB(10), MiB(2), HugePageAdvice::HugePage);
  os.touch(MiB(10) + KiB(4), Bytes(1));
  EXPECT_EQ(os.anonHugePages(), MiB(4));
  os.advise(MiB(10), MiB(1), HugePageAdvice::HugePage);  // same advice over part: still one VMA
  os.release(MiB(10), MiB(2));
  os.touch(MiB(10), Bytes(1));
  EXPECT_EQ(os.anonHugePages(), MiB(4));
}

TEST(OsMemoryThp, NoHugePageAdviceKeepsAlwaysModeAway) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Always);
  os.mapUpTo(MiB(8));
  os.advise(MiB(2), MiB(2), HugePageAdvice::NoHugePage);
  os.touch(MiB(2), Bytes(1));
  os.touch(MiB(4), Bytes(1));
  EXPECT_EQ(os.resident(), KiB(4) + MiB(2));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
}

TEST(OsMemoryThp, DontNeedSplitsAPartlyReleasedHugePageAndDropsOnlyThosePages) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Always);
  os.mapUpTo(MiB(8));
  os.touch(Bytes(0), Bytes(1));
  os.touch(MiB(2), Bytes(1));
  ASSERT_EQ(os.resident(), MiB(4));
  os.release(KiB(64), KiB(64));  // split_huge_pmd, then zap 16 pages
  EXPECT_EQ(os.resident(), MiB(4) - KiB(64));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
  // The split region faults 4 KiB at a time from now on.
  os.touch(KiB(64), Bytes(1));
  EXPECT_EQ(os.resident(), MiB(4) - KiB(60));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
  // Releasing a whole huge page frees it; the next fault there is a huge page again.
  os.release(MiB(2), MiB(2));
  EXPECT_EQ(os.resident(), MiB(2) - KiB(60));
  EXPECT_EQ(os.anonHugePages().v, 0);
  os.touch(MiB(3), Bytes(1));
  EXPECT_EQ(os.resident(), MiB(4) - KiB(60));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
  // Releasing all of a split region drops its pages but keeps its page table: 4 KiB faults.
  os.release(Bytes(0), MiB(2));
  EXPECT_EQ(os.resident(), MiB(2));
  os.touch(Bytes(0), Bytes(1));
  EXPECT_EQ(os.resident(), MiB(2) + KiB(4));
}

TEST(OsMemoryThp, FreeMarksAWholeHugePageLazyAndReclaimSplitsIt) {
  OsMemory os(MadviseMode::Free, ThpMode::Always);
  os.mapUpTo(MiB(8));
  os.touch(Bytes(0), Bytes(1));
  os.touch(MiB(2), Bytes(1));
  os.release(Bytes(0), MiB(2));  // madvise_free_huge_pmd: still one huge page, all LazyFree
  EXPECT_EQ(os.resident(), MiB(4));
  EXPECT_EQ(os.lazyFree(), MiB(2));
  EXPECT_EQ(os.anonHugePages(), MiB(4));
  os.release(MiB(2), KiB(8));    // part of the other one: split, then 2 pages LazyFree
  EXPECT_EQ(os.lazyFree(), MiB(2) + KiB(8));
  EXPECT_EQ(os.anonHugePages(), MiB(2));
  EXPECT_EQ(os.reclaimLazyFree(MiB(1)), MiB(1));  // reclaiming from the huge page splits it
  EXPECT_EQ(os.anonHugePages().v, 0);
  EXPECT_EQ(os.resident(), MiB(3));
  EXPECT_EQ(os.lazyFree(), MiB(1) + KiB(8));
}

// --- the machine: reclaim and the OOM killer ---

// An OsMemory of `resident` bytes of which `lazy` are LazyFree.
OsMemory heapWith(MadviseMode mode, Bytes resident, Bytes lazy) {
  OsMemory os(mode);
  os.mapUpTo(resident);
  os.touch(Bytes(0), resident);
  os.release(resident - lazy, lazy);
  return os;
}

TEST(Machine, CgroupReclaimsLazyFreeFirstThenKills) {
  Machine m(MachineConfig{GiB(16), MiB(100)});
  OsMemory os = heapWith(MadviseMode::Free, MiB(120), MiB(50));
  Bytes reclaimed{0};
  // 120 MiB heap + 10 MiB outside the heap: 30 MiB over memory.max, taken from LazyFree.
  EXPECT_TRUE(m.enforce(os, os.resident() + MiB(10), reclaimed).empty());
  EXPECT_EQ(reclaimed, MiB(30));
  EXPECT_EQ(os.resident(), MiB(90));
  EXPECT_EQ(os.lazyFree(), MiB(20));
  // 40 MiB more written: 140 MiB, only 20 MiB reclaimable: the cgroup's OOM killer.
  os.mapUpTo(MiB(200));
  os.touch(MiB(120), MiB(40));
  const std::vector<OomKill> kills = m.enforce(os, os.resident() + MiB(10), reclaimed);
  EXPECT_EQ(reclaimed, MiB(20));
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_TRUE(kills[0].cgroup);
  EXPECT_EQ(kills[0].victim, kProcessName);
  EXPECT_EQ(kills[0].usage, MiB(120));
  EXPECT_EQ(kills[0].limit, MiB(100));
  EXPECT_EQ(os.lazyFree().v, 0);
}

TEST(Machine, DontNeedLeavesNothingToReclaim) {
  Machine m(MachineConfig{GiB(16), MiB(100)});
  OsMemory os = heapWith(MadviseMode::DontNeed, MiB(120), MiB(50));
  EXPECT_EQ(os.resident(), MiB(70));
  Bytes reclaimed{0};
  EXPECT_TRUE(m.enforce(os, os.resident(), reclaimed).empty());
  os.touch(Bytes(0), MiB(120));
  EXPECT_EQ(m.enforce(os, os.resident(), reclaimed).size(), 1u);
  EXPECT_EQ(reclaimed.v, 0);
}

TEST(Machine, OtherProgramsPressTheMachineAndTheOomKillerTakesTheLargest) {
  Machine m(MachineConfig{MiB(1000), std::nullopt});
  OsMemory os = heapWith(MadviseMode::Free, MiB(400), MiB(300));
  Bytes reclaimed{0};
  EXPECT_FALSE(m.couldPress(MiB(400)));
  m.setOtherRss("db", MiB(500));
  EXPECT_TRUE(m.couldPress(MiB(501)));
  EXPECT_TRUE(m.enforce(os, os.resident(), reclaimed).empty());
  m.setOtherRss("batch", MiB(200));  // 400 + 700 > 1000: 100 MiB of LazyFree go
  EXPECT_EQ(m.otherRss(), MiB(700));
  EXPECT_TRUE(m.enforce(os, os.resident(), reclaimed).empty());
  EXPECT_EQ(reclaimed, MiB(100));
  EXPECT_EQ(os.resident(), MiB(300));
  m.setOtherRss("batch", MiB(600));  // 300 + 1100: 200 more LazyFree, then still 100 over
  std::vector<OomKill> kills = m.enforce(os, os.resident(), reclaimed);
  EXPECT_EQ(reclaimed, MiB(200));
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_FALSE(kills[0].cgroup);
  EXPECT_EQ(kills[0].victim, "batch") << "the largest process goes";
  EXPECT_EQ(kills[0].victimRss, MiB(600));
  EXPECT_EQ(m.otherRss(), MiB(500));
  // Now we are the largest: 600 MiB of heap (nothing lazy) + 500 MiB.
  os.mapUpTo(MiB(700));
  os.touch(Bytes(0), MiB(600));
  kills = m.enforce(os, os.resident(), reclaimed);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].victim, kProcessName);
  EXPECT_EQ(kills[0].usage, MiB(1100));
  m.setOtherRss("db", Bytes(0));
  EXPECT_EQ(m.otherRss().v, 0);
}

TEST(Machine, KernelLogLines) {
  const OomKill k{true, kProcessName, MiB(2049), MiB(2049), GiB(2)};
  EXPECT_EQ(oomCgroupUsageLine(k, 30.113),
            "[   30.113000] memory: usage 2098176kB, limit 2097152kB, failcnt 1");
  EXPECT_EQ(oomKillLine(k, 30.113, GiB(3), MiB(4)),
            "[   30.113000] Memory cgroup out of memory: Killed process 1000 (goprogram) total-vm:3145728kB, "
            "anon-rss:2094080kB, file-rss:4096kB, shmem-rss:0kB, UID:1000 pgtables:6144kB oom_score_adj:0");
  const OomKill other{false, "batch-job", MiB(600), MiB(1100), MiB(1000)};
  EXPECT_EQ(oomKillLine(other, 1, GiB(3), MiB(4)).substr(0, 63),
            "[    1.000000] Out of memory: Killed process 2000 (batch-job) t");
}

// --- what a release costs (madviseCost) ---

TEST(OsMemoryReleaseWork, CountsPageTablePagesWholeAndSplitHugePages) {
  OsMemory os(MadviseMode::DontNeed, ThpMode::Always);
  os.mapUpTo(MiB(8));
  os.touch(Bytes(0), Bytes(1));     // huge page at 0
  os.touch(MiB(2), Bytes(1));       // huge page at 2 MiB
  os.advise(MiB(4), MiB(2), HugePageAdvice::NoHugePage);
  os.touch(MiB(4), KiB(40));        // 10 pages in a page table
  // Part of a page-table region: the resident pages in it, nothing for the others.
  ReleaseWork w = os.release(MiB(4), KiB(64));
  EXPECT_EQ(w.calls, 1);
  EXPECT_EQ(w.ptePages, 10);
  EXPECT_EQ(w.hugeFreed + w.hugeSplit, 0);
  // A whole huge page: one zap, no page-table pages.
  w = os.release(MiB(2), MiB(2));
  EXPECT_EQ(w.hugeFreed, 1);
  EXPECT_EQ(w.ptePages, 0);
  // Part of one: a split, then its 16 pages.
  w = os.release(KiB(64), KiB(64));
  EXPECT_EQ(w.hugeSplit, 1);
  EXPECT_EQ(w.ptePages, 16);
  // Nothing resident: only the call.
  w = os.release(MiB(6), MiB(2));
  EXPECT_EQ(w.ptePages + w.hugeFreed + w.hugeSplit, 0);
  EXPECT_EQ(madviseCost(w), Duration(static_cast<int64_t>(kMadviseCallNs)));
}

// The cost's shape (its calibration is checked by its effect: RuntimeModel.
// FreeOsMemoryPaysTheMeasuredKernelTimePerHugePage): additive over calls, and every kind of work
// costs something.
TEST(OsMemoryReleaseWork, CostIsPerCallPerPageAndPerHugePage) {
  ReleaseWork w;
  w.calls = 3;
  w.ptePages = 100;
  w.hugeFreed = 2;
  w.hugeSplit = 1;
  ReleaseWork sum = w;
  sum += w;
  EXPECT_EQ(sum.ptePages, 200);
  EXPECT_EQ(sum.hugeFreed, 4);
  EXPECT_NEAR(static_cast<double>(madviseCost(sum).v), 2.0 * static_cast<double>(madviseCost(w).v), 1.0);
  for (int64_t ReleaseWork::*field : {&ReleaseWork::calls, &ReleaseWork::ptePages, &ReleaseWork::hugeFreed, &ReleaseWork::hugeSplit}) {
    ReleaseWork more = w;
    more.*field += 1;
    EXPECT_GT(madviseCost(more).v, madviseCost(w).v);
  }
  // Releasing a huge page whole is far cheaper than its 512 pages one by one.
  EXPECT_LT(kZapNsPerHugePage, 512 * kZapNsPerOsPage / 10);
  // On a machine twice as fast (machine.cpu_speed: 2) the same work takes half the time.
  EXPECT_NEAR(static_cast<double>(madviseCost(sum, 2.0).v), static_cast<double>(madviseCost(sum).v) / 2.0, 1.0);
}

}  // namespace
}  // namespace gomemsim
