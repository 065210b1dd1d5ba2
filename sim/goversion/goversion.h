// goversion: the Go releases gomemsim models, one row per release, and the one parser of
// version text.
//
// Every choice of the runtime that changed between Go releases is a field of a GoRelease row:
// the size-class table, growslice's rule, the heap metadata layout (Go 1.19's 2-bit heap
// bitmap, Go 1.20's 1-bit bitmap, Go 1.22's allocation headers), Green Tea's inline mark bits,
// the madvise default, the pacer and scavenger policies a release runs, the GC CPU limiter,
// huge-page advice, the memory-limit goal bug, container-aware GOMAXPROCS, the gctrace and
// scavtrace line formats and the runtime/metrics names. A scenario's `go:` text is parsed once
// (parseGoVersion) and resolved to its row once, when the runtime is assembled
// (engine/simulation.cc runtimeConfigFor); mechanisms read the row's fields and never compare
// version numbers. Where behaviour changed inside a minor release (1.21.0, 1.21.1-1.21.3 and
// 1.21.4+ differ in huge-page advice; 1.21.6 added GODEBUG=disablethp) the release has one row
// per patch range; "1.21" without a patch means the newest patch's row, as a user who writes
// "go 1.21" runs today.
// Each field cites the runtime file it follows; the rows cite the release that changed it.
// Does not model: releases before 1.11 or after 1.27, release candidates, non-linux/amd64
// ports, GOEXPERIMENTs other than Green Tea (greenteagc).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gomemsim {

// A Go version as written: 1.<minor>, optionally .<patch>. Only Go 1 exists.
struct GoVersion {
  int minor = 0;
  std::optional<int> patch;  // nullopt: the release's newest patch
  std::string text() const;  // "1.21" or "1.21.4"
};

// Thrown for version text gomemsim cannot read or does not model; what() says what is expected.
class GoVersionError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Reads "1.21", "1.21.4", "go1.27" or "go1.19.8". Throws GoVersionError for malformed text or a
// release outside the modelled ones.
GoVersion parseGoVersion(std::string_view text);

// mksizeclasses.go: from which size the minimum alignment is 16 B (Go <= 1.15: 16; Go 1.16+: 32,
// which inserted the 24-byte class).
enum class SizeClassScheme { Go115, Go116 };

// runtime/slice.go growslice: Go <= 1.17 doubles below 1024 elements then grows by 1/4; Go 1.18+
// doubles below 256 and grows by (newcap + 768) / 4.
enum class GrowsliceScheme { Go117, Go118 };

// How the heap records where pointers are (mbitmap.go), which decides the heap metadata RSS
// keeps and how much of a span holds objects.
enum class HeapBitsLayout {
  TwoBitsPerWord,     // Go <= 1.19: heapArena.bitmap, 2 bits per heap word (1/32 of the arena)
  OneBitPerWord,      // Go 1.20-1.21: 1 bit per word plus noMorePtrs (1/64 + 1/512 of the arena)
  AllocationHeaders,  // Go 1.22+: no arena bitmap; heap bits at the end of small scan spans, an
                      // 8-byte header on scan objects above 512 B, the type in large spans
};

// Linux: how a release releases memory unless GODEBUG=madvdontneed says otherwise
// (mem_linux.go sysUnusedOS, runtime1.go parsedebugvars).
enum class MadviseDefault {
  DontNeedOnly,  // Go <= 1.11: MADV_DONTNEED, no madvdontneed setting
  Free,          // Go 1.12-1.15: MADV_FREE; madvdontneed=1 reverts
  DontNeed,      // Go 1.16+: MADV_DONTNEED; madvdontneed=0 selects MADV_FREE
};

// Transparent huge page advice the runtime gives its heap (mem_linux.go).
enum class HeapHugePageAdvice {
  EdgesAndSpans,  // Go <= 1.20: sysUnused marks a released range's unaligned edge huge pages
                  // MADV_NOHUGEPAGE, sysUsed marks a reused span's whole huge pages MADV_HUGEPAGE
  Go1210,         // Go 1.21.0: new heap memory MADV_HUGEPAGE, released ranges NOHUGEPAGE first
  Collapse,       // Go 1.21.1-1.21.3: no MADV_HUGEPAGE/NOHUGEPAGE; dense chunks MADV_COLLAPSE'd
                  // (golang/go#61718), modelled as no advice: a collapse makes resident at most
                  // the 3 % of a >= 96.875 %-dense chunk that was not
  None,           // Go 1.21.4+: no advice on the heap at all (golang/go#64332)
};

// The line GODEBUG=scavtrace=1 prints (mgcscavenge.go printScavTrace).
enum class ScavTraceFormat {
  None,     // Go <= 1.13: no scavtrace (GODEBUG=scavtrace is new in Go 1.14)
  Go114,    // Go 1.14 and 1.19-1.20: "scav <work> KiB work, <total> KiB total, <util>% util"
  Go115,    // Go 1.15-1.18: "scav <gen> <work> KiB work, <total> KiB total, <util>% util"
  Go121,    // Go 1.21+: "scav <bg> KiB work (bg), <eager> KiB work (eager), <now> KiB now, <util>% util"
};

// The line GODEBUG=gctrace=1 prints (mgc.go gcMarkTermination).
enum class GcTraceFormat {
  Go117,  // Go <= 1.17: "..., # MB goal, # P"
  Go118,  // Go 1.18+: "..., # MB goal, # MB stacks, #MB globals, # P"
};

// Which runtime/metrics names the release exports, of those gomemsim writes to metrics.csv
// (runtime/metrics/description.go of each release; hasRuntimeMetric lists the names).
enum class RuntimeMetricsSet {
  None,   // Go <= 1.15: no runtime/metrics package
  Go116,  // Go 1.16: /gc/cycles/*, /gc/heap/goal, /gc/heap/objects, /memory/classes/*
  Go117,  // Go 1.17-1.18: + /gc/heap/allocs, /gc/heap/frees, /gc/heap/tiny/allocs (as
          // prometheus/client_golang's go1.17 list has them; no 1.16/1.17 toolchain here)
  Go119,  // Go 1.19: + /gc/limiter/last-enabled (mgclimit.go), /sched/gomaxprocs
  Go120,  // Go 1.20: + /cpu/classes/* (mstats.go cpuStats)
  Go121,  // Go 1.21+: + /gc/heap/live, /gc/gogc, /gc/gomemlimit
};

struct GoRelease {
  std::string_view name;  // "1.19", "1.21.0", "1.21.1-1.21.3", "1.21.6+"
  int minor = 0;
  int firstPatch = 0;     // the row covers patches firstPatch..lastPatch of 1.<minor>
  int lastPatch = 0;      // kOpenPatch: and every later one
  SizeClassScheme sizeClasses = SizeClassScheme::Go116;
  GrowsliceScheme growslice = GrowsliceScheme::Go118;
  HeapBitsLayout heapBits = HeapBitsLayout::TwoBitsPerWord;
  // mheap.go initSpan: with MADV_DONTNEED a span made wholly of released pages is not zeroed
  // (needZeroAfterSysUnused). In Go 1.26.8, not in 1.19.8; the release between that added it
  // is not on this machine, so 1.26 is the first row that has it.
  bool releasedSpansSkipZeroing = false;
  // sizeof(mspan), fixalloc'd per span and never freed: Go 1.19.8 144 B, Go 1.26.8/1.27.3 160 B
  // (pinnerBits from 1.21, largeType from 1.22; read from DWARF).
  int64_t mspanBytes = 144;
  // heapArena's 1-bit-per-page bitmaps (mheap.go): pageInUse, pageMarks, pageSpecials, and from
  // Go 1.26 pageUseSpanInlineMarkBits (present even with GOEXPERIMENT=nogreenteagc).
  int arenaPageBitmaps = 3;
  // The RSS of the real-Go driver (sim/validate/driver, a small static binary) that gomemsim
  // does not model (its text and data, start-up allocations): its first trace row less what
  // gomemsim models at start. Calibrated per toolchain: the binary grows with the release
  // (tests/fidelity/<version>/*/run-*/trace.csv, first rows: 1.19.8 2.78-2.91 MiB, 1.26.8
  // 3.40-3.61, 1.27.3 3.81-4.10); releases without a recording keep the one before them.
  int64_t baselineRssKiB = 1600;
  // Green Tea GC (mgcmark_greenteagc.go): the default of the release (Go 1.26+), and whether
  // GOEXPERIMENT can turn it on (greenteagc, Go 1.25) or off (nogreenteagc, Go 1.26+).
  bool greenTeaDefault = false;
  bool greenTeaExperiment = false;
  MadviseDefault madvise = MadviseDefault::DontNeed;
  std::string_view pacer;      // the pacer policy (pacer.h) the release runs
  std::string_view scavenger;  // the scavenger policy (scavenger.h) the release runs
  bool gcCpuLimiter = false;   // mgclimit.go, Go 1.19+
  // Go 1.19-1.21 mgcscavenge.go gcPaceScavenger: the memory-limit goal computed as limit x 95
  // instead of x 0.95 (golang/go#62449, fixed in Go 1.22).
  bool scavengerLimitGoalBug = false;
  // Go 1.12 mheap.grow -> scavengeLargest: heap growth releases as much free memory.
  bool heapGrowthScavenging = false;
  HeapHugePageAdvice hugePageAdvice = HeapHugePageAdvice::EdgesAndSpans;
  // Go 1.21+ mgc.go gcMarkTermination: the heap's metadata mappings get MADV_HUGEPAGE once the
  // heap goal reaches minHeapForMetadataHugePages (1 GiB).
  bool metadataHugePages = false;
  // GODEBUG=disablethp=1 (mem_linux.go sysMapOS): MADV_NOHUGEPAGE on new heap memory; Go 1.21.6+.
  bool disableThpSetting = false;
  // Go 1.25 proc.go/cgroup: GOMAXPROCS defaults to the CPU limit of the process's cgroup.
  bool containerAwareGomaxprocs = false;
  GcTraceFormat gctrace = GcTraceFormat::Go118;
  ScavTraceFormat scavtrace = ScavTraceFormat::Go114;
  RuntimeMetricsSet metricsSet = RuntimeMetricsSet::None;
};

inline constexpr int kOpenPatch = 1 << 20;
inline constexpr int kOldestModelledMinor = 11;
inline constexpr int kNewestModelledMinor = 27;
// The release a scenario without `go:` runs.
inline constexpr std::string_view kNewestGo = "1.27";

// The row for a version: its patch's row, or the newest patch's when none is given.
const GoRelease& goRelease(const GoVersion& v);
// parseGoVersion then goRelease.
const GoRelease& goRelease(std::string_view text);
// Every row, oldest first.
const std::vector<GoRelease>& goReleases();

// Green Tea runs for this release and GOEXPERIMENT string (comma-separated, as the go command
// reads it: later entries win; "greenteagc" on, "nogreenteagc" off, others ignored). Throws
// GoVersionError when GOEXPERIMENT asks for Green Tea on a release that has no such experiment.
bool greenTeaFor(const GoRelease& r, std::string_view goexperiment);

// runtime/metrics names the release exports (its metricsSet), of those gomemsim can produce
// (metrics/description.go).
bool hasRuntimeMetric(const GoRelease& r, std::string_view name);
// Those names, in the order metrics.csv writes them (observe/outputs.h); empty before Go 1.16.
std::vector<std::string_view> runtimeMetricNames(const GoRelease& r);

}  // namespace gomemsim
