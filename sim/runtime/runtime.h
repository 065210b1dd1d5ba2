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
// also carries the non-heap memory: stacks, runtime metadata (Go 1.19 heapArena: a
// 2-bit-per-word heap bitmap written when a span is initialised, the spans array; mspan
// structures, never freed), and the heap profile.
// The clock and the OS model belong to the runtime object and are reachable by tests.
// Does not model: goroutine scheduling, STW pause lengths beyond a fixed cost, the GC CPU
// limiter, write barriers, finalizers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "gc/ledger.h"
#include "mheap/mheap.h"
#include "os/os_memory.h"
#include "pacer/pacer.h"
#include "pagealloc/page_alloc.h"
#include "runtime/heap_profile.h"
#include "scavenger/scavenger.h"
#include "sizeclass/sizeclass.h"
#include "units/units.h"

namespace gomemsim {

struct RuntimeConfig {
  std::string goVersion = "1.19";
  int64_t gogc = 100;
  std::optional<Bytes> memoryLimit;
  int64_t gomaxprocs = 2;
  std::string scavenger = "auto";
  ScavengerParams scavengerParams;  // runtime.scavenger_params; checked against the policy
  std::string pacer = "auto";
  MadviseMode madvise = MadviseMode::DontNeed;
  Bytes baselineRss = MiB(4);
  uint64_t seed = 1;
  int64_t memProfileRate = 512 * 1024;  // runtime.MemProfileRate
};

// Everything an observer reads at one instant (ReadMemStats semantics: mcaches flushed).
struct MemSnapshot {
  double timeS = 0;
  Bytes rss, heapAlloc, heapInuse, heapIdle, heapReleased, heapSys, heapGoal, stackInuse, sys;
  int64_t numGc = 0, numForcedGc = 0;
  double gcCpuFraction = 0;
  Bytes pprofInuse, pprofInuseSampled;
  Bytes reachable, unsweptGarbage, spanFree, retainedFree, lazyFree, runtimeOverhead, baseline;
  Bytes gcSys, heapLive, heapMarked, trigger;
  int64_t heapObjects = 0;
  Bytes releasedBackground, releasedEager, releasedForced;  // cumulative
  bool inMark = false;
};

class Runtime : private MHeapHooks {
 public:
  explicit Runtime(const RuntimeConfig& cfg);
  ~Runtime() override;

  SimTime now() const { return now_; }
  const RuntimeConfig& config() const { return cfg_; }

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

  void gc();            // runtime.GC()
  void freeOSMemory();  // debug.FreeOSMemory()
  void setGcPercent(int64_t percent);
  void setMemoryLimit(std::optional<Bytes> limit);
  void setGoroutines(int64_t count, Bytes stack);

  MemSnapshot snapshot();
  // Resident bytes of the heap's address space (cheap; snapshot() gives the full breakdown).
  Bytes osResident() const { return os_.resident(); }
  // gctrace/scavtrace lines produced so far (drained by the caller).
  std::vector<std::string> takeTrace();
  const std::string& scavengerName() const;
  const std::string& pacerName() const;

 private:
  // MHeapHooks
  void spanAllocated(Bytes growth, Bytes scav) override;
  void heapLiveGrew() override;
  void sweepDone() override;

  PacerLimitInputs limitInputs() const;
  ScavengerView scavengerView() const;
  Bytes releasePages(const ScavengeRequest& req);  // page allocator + OS; returns bytes released
  void startCycle(bool forced);
  void markTermination();
  void progressMark(Duration dt, double mutatorCpus);
  void runScavenger(SimTime t);
  double markCpus(double mutatorCpus) const;
  void emitGcTrace();
  void emitScavTrace(bool forced);
  Bytes metadataResident() const;
  Bytes metadataSys() const;

  std::vector<ObjectRef> batchRefs_;  // mallocBatch's scratch space

  RuntimeConfig cfg_;
  SimTime now_{0};
  Rng rng_;
  const SizeClassTable& classes_;
  OsMemory os_;
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
    Bytes heap0, goal;
    int64_t lastHeapLiveSeen = 0;
  } mark_;
  bool inHook_ = false;
  int64_t numGc_ = 0, numForcedGc_ = 0;
  SimTime lastGcEnd_{0};
  bool anyGcDone_ = false;
  double gcCpuTotalNs_ = 0;   // dedicated + fractional + assist (+ STW), as GCCPUFraction counts
  Bytes lastHeapGoal_{0}, lastHeapInUse_{0};
  bool sweepDonePending_ = false;
  // Stacks.
  int64_t goroutines_ = 0;
  Bytes stackSize_{8192};
  // Release counters.
  Bytes relBg_{0}, relEager_{0}, relForced_{0}, relSinceTrace_{0};
  std::vector<std::string> trace_;
  std::vector<int64_t> heapMarkedHistory_;  // heapMarked of GC n at index n-1
  int64_t explicitFlushCycle_ = -1;         // GC whose profile runtime.GC flushed
  int64_t lastMarkedBytes_ = 0;
  Bytes lastHeap1_{0};
};

// Mark cost model (Go 1.19, calibrated on ../shared/realgo/steady_service: ~67 ms of mark CPU
// for ~760 k live objects of 32 B-1 KiB): per marked object, and per scanned byte. Objects
// without pointers are still held by a pointer in the program; kRefBytesPerObject of scan work
// stands for that reference.
inline constexpr double kMarkNsPerObject = 50;
inline constexpr double kScanNsPerByte = 1.6;
inline constexpr int64_t kRefBytesPerObject = 16;
inline constexpr int64_t kStwNs = 60000;  // sweep termination + mark termination, each ~30 us
// Goroutine stacks the runtime itself keeps (main, sysmon's helpers, bgsweep, bgscavenge,
// forcegc, finalizer): /memory/classes/heap/stacks ~256 KiB at start in realgo traces.
inline constexpr int64_t kRuntimeStackBytes = 256 << 10;

}  // namespace gomemsim
