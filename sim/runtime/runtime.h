// runtime: the assembled model of the Go runtime's memory manager, driven in simulated time.
//
// Models the GC cycle (Go 1.19 mgc.go, mgcpacer.go, mgcmark.go): a cycle starts when heapLive
// reaches the pacer's trigger (tested after mcache refills and large allocations), when sysmon
// forces one two minutes after the last (proc.go: forcegcperiod, not with GOGC=off), or on
// runtime.GC(). Sweep termination finishes the previous cycle's sweeping. The mark phase takes
// simulated time: its CPU work (per marked object, per scanned byte) is done by background
// workers at 25 % of GOMAXPROCS plus idle Ps, and by assists charged to allocation when the
// mutator outruns it (assistWorkPerByte = remaining work / remaining heap distance). Mark
// termination publishes heapMarked, flips sweeping, re-paces the sweeper and the scavenger,
// advances the heap profile and the page allocator's scavenge generation (Go 1.21 nextGen), and
// prints the gctrace line. runtime.GC() blocks until the cycle and all sweeping are done and
// publishes the profile (mProf_PostSweep); debug.FreeOSMemory() then releases every free page
// (mheap.go: scavengeAll). The scavenger policy decides what else to release and when
// (scavenger.h); the runtime carries it out through the page allocator and the OS model. It
// also carries the non-heap memory: stacks, runtime metadata (heapArena per release,
// arena_metadata.h: Go 1.19's 2-bit-per-word heap bitmap written when a span is initialised, no
// bitmap from Go 1.22; the spans array; mspan structures, never freed), and the heap profile.
// The clock and the OS model belong to the runtime object and are reachable by tests.
// Go 1.19+: the GC CPU limiter (gc_limiter.h) turns mark assists and memory-limit scavenging
// off while GC takes more than half of the non-idle CPU. GCCPUFraction is computed at mark
// termination and holds until the next (Go 1.19 mgc.go gcMarkTermination:
// memstats.gc_cpu_fraction = work.totaltime / total CPU since the start).
// The machine (os/machine.h) is checked whenever RSS may have grown (each time step, a goroutine
// count change, another program's memory change): the kernel reclaims LazyFree pages, and if the
// program is OOM-killed the runtime logs the kernel's line, throws ProcessKilled and stops.
// Linux huge-page advice as Go <= 1.20 gives it (mem_linux.go): sysUnused marks the huge pages
// at the unaligned edges of a released range MADV_NOHUGEPAGE; sysUsed (allocSpan, when the span
// has scavenged pages - fresh heap growth included from Go 1.13) marks the whole huge pages
// inside the span MADV_HUGEPAGE. Go 1.21+ (after the 1.21.x reverts) gives no advice.
// The program is held up by the runtime as a real one is (takeMutatorStall): the sweeping its
// allocations do (Go 1.19 mcentral.go cacheSpan, mgcsweep.go deductSweepCredit, mgc.go gcStart's
// sweepone loop; shared with bgsweep on idle Ps), its mark assists and the two stop-the-world
// pauses. At a heap held at its goal - the memory limit - the whole sweep falls between one
// cycle's end and the next one's start, and that time, not the mark, spaces the cycles.
// Does not model: goroutine scheduling, STW pause lengths beyond a fixed cost, write barriers,
// finalizers.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/rng.h"
#include "gc/ledger.h"
#include "goversion/goversion.h"
#include "os/machine.h"
#include "mheap/mheap.h"
#include "os/os_memory.h"
#include "pacer/pacer.h"
#include "pagealloc/page_alloc.h"
#include "runtime/arena_metadata.h"
#include "runtime/cpu_stats.h"
#include "runtime/gc_limiter.h"
#include "runtime/heap_profile.h"
#include "scavenger/scavenger.h"
#include "sizeclass/sizeclass.h"
#include "units/units.h"

namespace gomemsim {

// The mark phase's CPU cost per reached object and per scanned byte (the constants and their
// calibration are at the end of this header).
struct MarkCost {
  double nsInOrder;      // an object held by a live set (or forever), reached in allocation order
  double nsScattered;    // a timed object, reached scattered over the heap
  double scanNsPerByte;  // pointer-bearing memory scanned through heap bits
  double nsPerHeldSpan;  // each span those held objects fill: its mspan and mark bits, cold
  double typedScanNsPerByte;  // pointer-bearing memory scanned through the object's type
};

struct RuntimeConfig {
  // The Go release's row (goversion.h): every version-dependent choice comes from it. "auto"
  // policies below are resolved from it when the Runtime is constructed.
  const GoRelease* release = &goRelease("1.19");
  bool greenTea = false;  // Green Tea GC runs (greenTeaFor: the release and GOEXPERIMENT)
  bool disableThp = false;  // GODEBUG=disablethp=1 where the release has it (Go 1.21.6+)
  int64_t gogc = 100;
  std::optional<Bytes> memoryLimit;
  int64_t gomaxprocs = 2;
  std::string scavenger = "auto";
  ScavengerParams scavengerParams;  // runtime.scavenger_params; checked against the policy
  std::string pacer = "auto";
  MadviseMode madvise = MadviseMode::DontNeed;
  ThpMode thp = ThpMode::Madvise;  // machine.thp; Debian's default
  // machine.cpu_speed: every CPU cost below (mark, sweep, madvise) is divided by it.
  double cpuSpeed = 1.0;
  MachineConfig machine;           // no limits unless given
  // The process's RSS outside the heap, stacks and runtime metadata modelled here: the binary's
  // text and data, and what the runtime and the program allocate at start-up (not simulated).
  // By default the release's (GoRelease::baselineRss, the real-Go driver's); a larger program
  // says machine.baseline_rss.
  Bytes baselineRss = Bytes(1600 << 10);
  uint64_t seed = 1;
  int64_t memProfileRate = 512 * 1024;  // runtime.MemProfileRate
};

// Everything an observer reads at one instant (ReadMemStats semantics: mcaches flushed).
struct MemSnapshot {
  double timeS = 0;
  Bytes rss, heapAlloc, heapInuse, heapIdle, heapReleased, heapSys, heapGoal, stackInuse, sys;
  // numForcedGc: MemStats.NumForcedGC, the cycles runtime.GC asked for (mgc.go: counted when
  // work.userForced, gcTriggerCycle); numPeriodicGc: sysmon's two-minute GCs (gcTriggerTime,
  // which Go counts in NumGC only; gctrace prints "GC forced" before each).
  int64_t numGc = 0, numForcedGc = 0, numPeriodicGc = 0;
  double gcCpuFraction = 0;
  Bytes pprofInuse, pprofInuseSampled;
  Bytes reachable, unsweptGarbage, spanFree, retainedFree, lazyFree, runtimeOverhead, baseline;
  Bytes gcSys, heapLive, heapMarked, trigger;
  // Of runtimeOverhead, what Go maps outside every MemStats figure: the arena index's resident
  // page(s) (malloc.go sysAlloc: sysAllocOS, deliberately not counted).
  Bytes outsideSys;
  int64_t heapObjects = 0;
  Bytes releasedBackground, releasedEager, releasedForced;  // cumulative
  bool inMark = false;
  // Linux: smaps AnonHugePages; LazyFree bytes the kernel has discarded (cumulative); other
  // programs' RSS on the machine; whether the kernel has OOM-killed the program.
  Bytes anonHugePages, lazyFreeReclaimed, otherRss;
  bool oomKilled = false;
  bool oomCgroup = false;  // killed by the cgroup's OOM killer (else the global one)
  Bytes oomLimit;          // the limit it was killed at: memory.max or the machine's RAM
  // GC CPU limiter (Go 1.19+): bucket fill / capacity (1 = limiting), seconds it has been on,
  // /gc/limiter/last-enabled:gc-cycle.
  double gcLimiterFill = 0;
  double gcLimiterEnabledS = 0;
  // Of those seconds, the ones the program spent idle: idle time neither fills nor drains the
  // bucket (mgclimit.go updateLocked takes it out of the window) and no update runs outside a
  // GC, so an enabled limiter stays enabled through an idle spell, limiting nothing.
  double gcLimiterEnabledIdleS = 0;
  int64_t gcLimiterLastEnabledCycle = 0;
  // Cumulative heap counters (Go 1.19 mstats.go heapStatsDelta, MemStats TotalAlloc, Mallocs,
  // Frees): bytes and objects allocated and freed (a tiny block counts once in mallocs and
  // frees, each object packed into one in tinyAllocs, which Mallocs and Frees both include).
  Bytes totalAlloc, totalFree;
  int64_t mallocs = 0, frees = 0, tinyAllocs = 0;
  // Of gcSys, the mspan structures (MemStats MSpanSys: every span ever made, never freed;
  // MSpanInuse: those of spans in use).
  Bytes mspanInuse, mspanSys;
  int64_t pauseTotalNs = 0;  // MemStats.PauseTotalNs: kStwNs per completed cycle
  // /cpu/classes/* as of the last mark termination (cpu_stats.h; Go 1.20+ exports them).
  CpuStats cpu;
  // The settings as the runtime holds them now (runtime/debug SetGCPercent, SetMemoryLimit):
  // GOGC (-1 = off), GOMEMLIMIT (math.MaxInt64 = none), GOMAXPROCS.
  int64_t gcPercent = 100;
  Bytes memoryLimit{std::numeric_limits<int64_t>::max()};
  int64_t gomaxprocs = 0;
};

// Thrown by the Runtime when the kernel OOM-kills the program (os/machine.h); the run ends
// there. The runtime is left as it was at the kill, for a last snapshot().
class ProcessKilled : public std::runtime_error {
 public:
  ProcessKilled(const OomKill& k, double timeS)
      : std::runtime_error("the kernel OOM-killed the program at " + std::to_string(timeS) + " s"), kill(k), atS(timeS) {}
  OomKill kill;
  double atS;
};

class Runtime : private MHeapHooks {
 public:
  explicit Runtime(const RuntimeConfig& cfg);
  ~Runtime() override;

  SimTime now() const { return now_; }
  const RuntimeConfig& config() const { return cfg_; }
  const SpanLayout& layout() const { return layout_; }

  // mallocgc. bucket = the allocation site for the heap profile (a stream). p = which P.
  ObjectRef malloc(int p, Bytes size, bool pointers, DeathTick death, Bytes touch, int bucket);
  // mallocgc for n objects of one size from one allocation site, made at the same instant
  // (one quantum of a stream): exactly what n malloc calls do, with the per-object work of a
  // small object reduced to its slot, its death and its OS page.
  void mallocBatch(int p, Bytes size, Bytes touch, const DeathTick* deaths, int n, bool pointers,
                   int bucket);
  int64_t mallocs() const { return heap_->mallocs(); }  // MemStats.Mallocs
  void setDeath(ObjectRef r, DeathTick d) { heap_->setDeath(r, d); }
  Bytes retag(DeathTick tag, DeathTick to, double fraction) { return heap_->retag(tag, to, fraction, rng_); }

  // Advances simulated time to t; background work (mark, sweeper, scavenger, forced GC) runs.
  // mutatorCpus = how many CPUs the program keeps busy meanwhile (idle Ps mark and sweep).
  void advanceTo(SimTime t, double mutatorCpus);
  // The next instant at which something happens by itself (mark end, scavenger, forced GC).
  SimTime nextEvent() const;
  // The time the allocating goroutine has been held up since the last call, besides its own
  // work: the sweeping it did (mcentral.cacheSpan, deductSweepCredit, gcStart's sweepone loop),
  // shared with bgsweep on the idle Ps; its mark assists; the stop-the-world pauses. The
  // engine delays the program's next allocation by it, as a real program falls behind.
  Duration takeMutatorStall();

  void gc();            // runtime.GC()
  void freeOSMemory();  // debug.FreeOSMemory()
  void setGcPercent(int64_t percent);
  void setMemoryLimit(std::optional<Bytes> limit);
  void setGoroutines(int64_t count, Bytes stack);
  // Another program on the machine has `rss` resident from now on (0 = it ended).
  void setOtherProcess(const std::string& name, Bytes rss);
  // The kill, once the kernel has OOM-killed the program.
  const std::optional<OomKill>& oomKill() const { return oom_; }
  const GcCpuLimiter* gcLimiter() const { return limiter_ ? &*limiter_ : nullptr; }

  MemSnapshot snapshot();
  // The heap profile runtime.MemProfile would return now, per site (heap_profile.h), under the
  // publication rule whose scaled total is snapshot().pprofInuseSampled.
  std::map<HeapProfile::Site, HeapProfile::SiteCounts> publishedProfile() const;
  // Equal keys, equal publishedProfile(): observers copy the profile only when it changed.
  std::array<int64_t, 4> publishedProfileKey() const;
  // The caller the heap profile records for the allocations from now on (the engine's step).
  void setProfileSite(int site) { profile_.setSite(site); }
  // For tests and fuzzing: the accounting of `s` (a snapshot taken now) checked against counts
  // kept apart from the ones it was made of - the page allocator's and the OS model's bitmaps
  // recounted (PageAllocator::recount, OsMemory::recount) - and the rules that tie them: every
  // LazyFree and huge page resident, no released page resident (but under THP always, where a
  // fault brings in a whole 2 MiB region), heap RSS = the OS model's resident pages. Returns
  // what does not hold, one line each; empty when all does. O(mapped pages).
  std::vector<std::string> audit(const MemSnapshot& s) const;
  // Resident bytes of the heap's address space (cheap; snapshot() gives the full breakdown).
  Bytes osResident() const { return os_.resident(); }
  // Page faults the program has taken so far (4 KiB pages, huge pages): its own cost.
  int64_t pageFaults() const { return os_.pageFaults(); }
  int64_t hugePageFaults() const { return os_.hugePageFaults(); }
  // The process's RSS as the kernel charges it: heap pages (LazyFree included), stacks,
  // runtime metadata, the binary.
  Bytes processRss() const;
  // gctrace/scavtrace lines produced so far (drained by the caller).
  std::vector<std::string> takeTrace();
  const std::string& scavengerName() const;
  const std::string& pacerName() const;

 private:
  // MHeapHooks
  void spanAllocated(Bytes growth, Bytes scav) override;
  void heapMapped(Bytes base, Bytes len) override;
  void heapLiveGrew() override;
  void sweepDone() override;

  PacerLimitInputs limitInputs() const;
  ScavengerView scavengerView() const;
  // What a release did: bytes returned and the kernel's time for it (os madviseCost).
  struct Released {
    Bytes bytes{0};
    Duration cost{0};
  };
  Released releasePages(const ScavengeRequest& req);  // page allocator + OS
  Released releaseInQuanta(const ScavengeRequest& req);  // req.quantum > 0: the worker's loop
  void startCycle(bool forced);
  void markTermination();
  double progressMark(Duration dt, double mutatorCpus);  // returns this step's assist CPU ns
  void checkMemory();  // the kernel's view; throws ProcessKilled
  void sysUsed(Bytes base, Bytes len);
  ReleaseWork sysUnused(Bytes base, Bytes len);
  void runScavenger(SimTime t);
  void readyScavenger();  // sweeping is done: sysmon will wake the scavenger
  double markCpus(double mutatorCpus) const;
  void emitGcTrace();
  // Takes the program's sweeping since the last call into the stall; returns its wall time.
  double absorbMutatorSweep();
  void emitScavTrace(std::optional<Bytes> forced);  // forced: what debug.FreeOSMemory released
  Bytes metadataResident() const;
  int64_t arenaIndexResident() const;
  Bytes metadataSys() const;

  std::vector<ObjectRef> batchRefs_;  // mallocBatch's scratch space

  RuntimeConfig cfg_;
  const GoRelease& go_;
  SimTime now_{0};
  Rng rng_;
  SpanLayout layout_;
  ArenaMetadata arenaMeta_;
  MarkCost markCost_;  // the mark algorithm's: Green Tea's when it runs
  OsMemory os_;
  Machine machine_;
  std::optional<OomKill> oom_;
  Bytes lazyReclaimed_{0};
  bool goAdvisesHugePages_ = false;  // Go <= 1.20 mem_linux.go
  bool metadataHugePages_ = false;   // Go 1.21+ enableMetadataHugePages has run
  std::optional<GcCpuLimiter> limiter_;  // Go 1.19+
  int64_t limiterOnNs_ = 0;
  int64_t limiterOnIdleNs_ = 0;  // of limiterOnNs_, while the program was idle
  int64_t pendingScavAssistNs_ = 0;
  PageAllocator pages_;
  Ledger ledger_;
  std::unique_ptr<MHeap> heap_;
  std::unique_ptr<Pacer> pacer_;
  std::unique_ptr<ScavengerPolicy> scavenger_;
  std::string scavengerName_, pacerName_;
  HeapProfile profile_;

  // GC cycle state.
  struct Mark {
    bool active = false;
    bool forced = false;      // runtime.GC
    bool periodic = false;    // sysmon's forced GC
    SimTime start;
    DeathTick markTick = 0;
    HeapAmount reachableAtStart;
    HeapAmount allocatedAtStart;
    double workTotalNs = 0, workLeftNs = 0;
    double bgCpuNs = 0, assistCpuNs = 0, idleCpuNs = 0;
    double bgScanCredit = 0;  // background scan work not yet claimed by allocations
    double unpaidDebt = 0;    // assist debt left while the CPU limiter was on
    Bytes heap0, goal;
    int64_t lastHeapLiveSeen = 0;
  } mark_;
  bool inHook_ = false;
  int64_t numGc_ = 0, numForcedGc_ = 0, numPeriodicGc_ = 0;
  SimTime lastGcEnd_{0};
  bool anyGcDone_ = false;
  CpuAccount cpu_;            // /cpu/classes (cpu_stats.h)
  double gcCpuTotalNs_ = 0;   // dedicated + fractional + assist (+ STW), as GCCPUFraction counts
  double gcCpuFraction_ = 0;  // as of the last mark termination
  Bytes lastHeapGoal_{0}, lastHeapInUse_{0};
  bool sweepDonePending_ = false;
  // Stacks.
  int64_t goroutines_ = 0;
  Bytes stackSize_{8192};
  double mutatorCpus_ = 0;  // of the current advanceTo: 0 while the program idles
  double mutatorStallNs_ = 0;  // takeMutatorStall's
  std::optional<SimTime> gcStartAt_;  // a triggered cycle waits for its goroutine's sweeping
  std::optional<SimTime> sysmonPoll_;  // sysmon's next look after scavenger.ready()
  // Release counters.
  Bytes relBg_{0}, relEager_{0}, relForced_{0};
  Bytes bgSinceTrace_{0}, eagerSinceTrace_{0};  // since the last scavtrace line
  std::vector<std::string> trace_;
  std::vector<int64_t> heapMarkedHistory_;  // heapMarked of GC n at index n-1
  int64_t explicitFlushCycle_ = -1;         // GC whose profile runtime.GC flushed
  // Which cycles the heap profile shows now (heap_profile.h): allocations of cycles <=
  // allocUpTo, frees by marks <= freeUpTo, or every sample (fallback: none published yet).
  struct ProfilePublication {
    int64_t allocUpTo, freeUpTo;
    bool fallback;
  };
  ProfilePublication profilePublication() const;
  int64_t lastMarkedBytes_ = 0;
  Bytes lastHeap1_{0};
};

// Mark cost model (Go 1.19 mgcmark.go: greyobject per reached object, scanobject per scanned
// word), calibrated on the real-Go driver's runs recorded on this project's 2-vCPU machine
// (tests/fidelity/README.md, "free constants"; Go 1.19.8 recalibrated on 2026-12-05, when the
// runs of the memory-limit regime were recorded: the machine of the 2026-11-26 recording
// marked ~1.7 times faster, so constants fitted there made every cycle at the limit too short):
//   kMarkNsInOrder, kMarkNsScattered: finding, marking and queueing one reached object. Objects
//     held by a live set (or forever) are reached through their holder in allocation order, so
//     memory is read sequentially: mark-noscan's forced GCs (1.15 M held objects of 256 B,
//     32 per span: 14.5-18.4 ms, median 15.9, over six GCs) spend 13.8 ns per object all in.
//     Timed objects die in their own order and are reached scattered over the heap:
//     steady-service spends 29.4-31.9 ms per cycle (gctrace, cycles 6-30, two runs) on ~580 k
//     cache objects and ~145 k short-lived ones, ~150 ns each for the latter (a cache miss).
//   nsPerHeldSpan: each span the held objects fill costs a visit to its mspan and mark bits,
//     cold in cache on a big heap. at-limit's 4-8 KiB sessions (2-5 per span, ~75-100 k spans
//     at 1.0-1.4 GB) take 18-28 ms of mark CPU per cycle on Go 1.19.8 (gctrace, heap >= 1000
//     MB), far more than their ~200 k objects at the in-order rate: ~230 ns per span. The
//     in-order rate is what is left of mark-noscan's 13.8 ns once its 32-per-span share and its
//     reference's scan are paid (13.8 - 230 / 32 - 8 x 0.42 = 3.2 ns); Green Tea's the same way.
//   scanNsPerByte: scanning pointer-bearing memory through heap bits (Go 1.19 heapBits.next per
//     word, 2 bits per word): mark-pointers' forced GCs (300 MB of 256 B objects whose words are
//     all pointers, most nil) cost a median 124.6 ms more than mark-noscan's, 0.42 ns/B, and
//     mark-pointers-1k's 1 KiB objects the same (131 ms for 288 MB, 0.42 ns/B once their
//     objects and spans are paid); mark-pointers-4k's 4 KiB objects cost less (0.27 ns/B).
//   typedScanNsPerByte: scanning through the object's type (Go 1.22+ mbitmap.go
//     typePointersOfUnchecked: objects above 512 B carry a malloc header, large spans a
//     largeType). For the driver's objects, slices of unsafe.Pointer, the element type is one
//     word, so typePointers.next takes its slow path (advance one element, reload the type's
//     mask) for every word: mark-pointers-1k costs 203-295 ms (median 230.5 on 1.26.8, 238.5 on
//     1.27.3) for 324 MB of 1152 B slots and mark-pointers-4k 187-271 ms (214, 205) for 340 MB,
//     0.59-0.70 ns/B once objects and spans are paid, four times the in-span bits' rate. Go
//     1.22-1.25 scan with the same code (not recorded here: no toolchain of theirs).
//   kRefBytesPerObject: every reached object is held by a pointer somewhere in the program
//     (the driver's chunks or lifetime wheel, a real program's fields): 8 B of scan work each,
//     which Go's pacer also counts as scannable heap (heapScan).
// The constants above, as one set per mark algorithm: Go 1.19's (greyobject/scanobject through
// work buffers) and Green Tea's (Go 1.26+ mgcmark_greenteagc.go: small objects marked in their
// span's inline mark bits, pointerful spans queued and scanned span by span; objects above
// 512 B, which have no inline mark bits (gcUsesSpanInlineMarkBits), go through scanobject as
// before), calibrated on the same real-Go driver runs of each (tests/fidelity/README.md):
// Green Tea, Go 1.26.8 (tests/fidelity/go1.26.8, recording 1; the 2026-12-05 calibration runs
// agree): mark-noscan's forced GCs spend 14.0-17.2 ms of mark CPU on 1.17 M held 256 B objects
// (11.8 ns each after their references' scan), mark-pointers 60-63 ms, i.e. 46 ms more for
// 300 MB of pointer words (0.153 ns/B); steady-service's cycles 41.3 ms (gctrace, cycles 6-31)
// against 1.19's 18.2 that day, which leaves ~232 ns for each of its ~145 k scattered
// short-lived objects once the cache's 581 k held ones are paid for.
// {inOrder, scattered, scan/B through heap bits, per held span, scan/B through the type}
inline constexpr MarkCost kMarkCostClassic{3.2, 152, 0.42, 230, 0.66};
inline constexpr MarkCost kMarkCostGreenTea{4.6, 232, 0.153, 230, 0.66};
// The costs above on a machine `speed` times as fast as the calibration machine (machine.cpu_speed).
inline MarkCost scaledMarkCost(const MarkCost& c, double speed) {
  return MarkCost{c.nsInOrder / speed, c.nsScattered / speed, c.scanNsPerByte / speed, c.nsPerHeldSpan / speed,
                  c.typedScanNsPerByte / speed};
}
inline constexpr double kMarkNsInOrder = kMarkCostClassic.nsInOrder;
inline constexpr double kMarkNsScattered = kMarkCostClassic.nsScattered;
inline constexpr double kScanNsPerByte = kMarkCostClassic.scanNsPerByte;
inline constexpr int64_t kRefBytesPerObject = 8;
// sysmon (Go 1.14+ proc.go): while the program runs it polls every 20 us to 10 ms (the delay
// doubles up to 10 ms while it finds nothing to do), so it sees a readied scavenger within
// kSysmonPollNs. If every P is idle when it looks, it first sleeps until the program's next
// timer (at most forcegcperiod / 2 = 60 s): kSysmonIdleWakeNs assumes a timer within 250 ms,
// as the real-Go driver's sampler has (gc-then-idle run-1..3: the first release 0.23-0.48 s
// after runtime.GC when the program idles at once; burst-then-idle: ~0.25 s after sysmon's
// forced GC); a program with no timers at all would wait longer (not modelled).
inline constexpr int64_t kSysmonPollNs = 10000000;
inline constexpr int64_t kSysmonIdleWakeNs = 250000000;
// Share of the time an idle P runs an idle mark worker during a concurrent mark (markCpus).
inline constexpr double kIdleMarkShare = 0.85;
inline constexpr double kMaxOvershoot = 1.1;  // mgcpacer.go revise: maxOvershoot
inline constexpr int64_t kStwNs = 60000;  // sweep termination + mark termination, each ~30 us
// Goroutine stacks the runtime itself keeps (main, sysmon's helpers, bgsweep, bgscavenge,
// forcegc, finalizer): /memory/classes/heap/stacks ~256 KiB at start in realgo traces.
inline constexpr int64_t kRuntimeStackBytes = 256 << 10;

}  // namespace gomemsim
