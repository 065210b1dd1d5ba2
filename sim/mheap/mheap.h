// mheap: spans, the per-P mcache, the per-class mcentral, sweeping and large objects.
//
// Models (Go 1.19 mheap.go, mcache.go, mcentral.go, mgcsweep.go, malloc.go):
// - An mspan is a run of pages holding objects of one span class (size class x noscan). Slots
//   are handed out in address order from freeindex among those free as of the span's last sweep
//   (nextFreeFast/nextFree); a slot freed by a GC is reusable only after the span is swept.
// - Each P's mcache holds one span per span class and the tiny block. refill() returns the full
//   span to its mcentral and gets another (mcentral.cacheSpan: partial swept, else sweep partial
//   unswept, else sweep full unswept, else grow from the page heap). heapLive, the pacer's input,
//   grows by the whole span's free bytes at refill (mcache.refill: gcController.update).
// - mcentral keeps partial/full x swept/unswept span sets; their roles flip at each GC
//   (sweepgen += 2). Sweeping a span frees slots whose objects the last mark found dead
//   (HeapAlloc falls only here); a span with no objects left goes back to the page heap, its
//   pages free but still resident. Sweepers: cacheSpan, proportional sweep on span allocation
//   (deductSweepCredit), mheap.reclaim before page allocation, the background sweeper (driven by
//   the engine), and finishSweep (runtime.GC, the next GC's sweep termination).
// - Large objects (> 32 KiB) get a dedicated span (span class 0) from the page heap; heapLive
//   grows by the span at once; sweeping frees the span when the object is dead.
// - The tiny allocator packs pointer-free objects < 16 B into 16-byte blocks of size class 2;
//   a block dies when its last sub-object dies.
// Residency: objects are written when allocated (`touch` bytes, or the whole slot when the span
// needs zeroing: memory below the arena's zeroedBase may be dirty, mheap.go: allocNeedsZero);
// a span's in-span metadata (Go 1.22+ pointer bits, Green Tea's inline mark bits: span_layout.h)
// is written when the span is initialised.
// Quiet spans (a simulator shortcut, not a runtime structure): a full span whose objects all
// outlive the current mark has nothing for a sweep to do but advance its sweepgen, yet the
// runtime still sweeps it every cycle, at a cost. Such spans wait in a per-class quiet set,
// swept in bulk in the runtime's order (after the class's full unswept list), so a GC cycle
// costs the simulator O(classes) for them rather than a visit per span; the swept spans, pages
// and sweep CPU are counted as if each were swept one by one. A span leaves the set when one of
// its objects may die before a mark (setDeath, retag, the check at each sweep-cycle flip).
// Does not model: the per-P page cache, span specials/finalizers, stack spans (stacks are
// counted by the engine), scan/noscan differences beyond the class split and scan bytes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "common/rng.h"
#include "gc/ledger.h"
#include "os/os_memory.h"
#include "pagealloc/page_alloc.h"
#include "sizeclass/span_layout.h"
#include "units/units.h"

namespace gomemsim {

// Handle to one allocated object (or tiny block); opaque to the workload.
struct ObjectRef {
  uint32_t span = 0;
  uint32_t slot = 0;
};

enum class SpanState : uint8_t { Dead, InUse };

// A free slot's entry in Span::death. Deaths are clamped to >= kFirstDeath (tick 1, ~1 ms).
inline constexpr DeathTick kFreeSlot = 0;
inline constexpr DeathTick kFirstDeath = 1;

struct Span {
  int64_t startPage = 0;
  int32_t npages = 0;
  int32_t spanClass = 0;  // sizeclass << 1 | noscan (mheap.go: spanClass)
  int64_t elemsize = 0;  // slot size; a large object's whole span
  int32_t nelems = 0;
  int32_t allocCount = 0;
  int32_t freeindex = 0;
  uint64_t allocCache = 0;  // free slots from freeindex to the end of its allocBits word
  uint32_t sweepgen = 0;
  SpanState state = SpanState::Dead;
  bool needzero = false;
  // Bounds over the allocated slots' deaths: minDeath a lower bound, maxDeath an upper bound
  // (both exact after a sweep). They let a sweep skip a span with nothing dead, and find a
  // wholly dead span without visiting its slots.
  DeathTick minDeath = kForever;
  DeathTick maxDeath = 0;
  // Per slot: the object's death, or kFreeSlot. allocBits (mbitmap.go) are the slots in use as
  // of the last sweep, which repacks them from death; allocation only moves freeindex.
  std::vector<DeathTick> death;
  std::vector<uint64_t> allocBits;
  // Position in its span class's quiet set (MHeap::QuietSet), or -1 when not in it.
  int32_t quietIndex = -1;

  int sizeclass() const { return spanClass >> 1; }
  bool noscan() const { return spanClass & 1; }
  Bytes base() const { return Bytes(startPage * kPageSize); }
  Bytes bytes() const { return Bytes(int64_t{npages} * kPageSize); }
};

// What the heap tells the rest of the runtime (policy lives outside the mechanism).
class MHeapHooks {
 public:
  virtual ~MHeapHooks() = default;
  // A span was taken from the page heap; growth = bytes the heap grew for it, scav = bytes of
  // it that had been released (mheap.allocSpan's scavenging decision point).
  virtual void spanAllocated(Bytes growth, Bytes scav) = 0;
  // The heap grew: [base, base+len) was just mapped (mem_linux.go sysMap), nothing touched yet.
  virtual void heapMapped(Bytes /*base*/, Bytes /*len*/) {}
  // heapLive grew (after an mcache refill or a large allocation): GC trigger test point.
  virtual void heapLiveGrew() = 0;
  // The last unswept span was swept.
  virtual void sweepDone() = 0;
};

struct SweepStats {
  int64_t pagesSwept = 0;   // this cycle
  int64_t spansSwept = 0;
  int64_t objectsFreed = 0;
};

class MHeap {
 public:
  // releasedSpansSkipZeroing: Go 1.26 mheap.go initSpan with MADV_DONTNEED
  // (needZeroAfterSysUnused() false): a span made wholly of released pages is not zeroed, the
  // kernel having zero-filled them; Go 1.19 zeroes by allocNeedsZero alone.
  MHeap(const SpanLayout& layout, PageAllocator& pages, OsMemory& os, Ledger& ledger, int nprocs,
        MHeapHooks& hooks, bool releasedSpansSkipZeroing = false, double cpuSpeed = 1.0);

  // mallocgc for a small object of a size class (not tiny).
  ObjectRef mallocSmall(int p, int sizeclass, bool noscan, DeathTick death, Bytes touch);
  // n objects of one size class at once, exactly as n mallocSmall calls place them; refs of
  // the objects go to out[0..n). Every death must be >= kFirstDeath (deathTickFor's are).
  void mallocSmallBatch(int p, int sizeclass, bool noscan, const DeathTick* deaths, Bytes touch,
                        int n, ObjectRef* out);
  // The tiny allocator (size < 16, pointer-free).
  ObjectRef mallocTiny(int p, Bytes size, DeathTick death);
  // A large object: its own span of ceil(size/8 KiB) pages.
  ObjectRef mallocLarge(Bytes size, bool noscan, DeathTick death, Bytes touch);
  // Changes an object's death (the program drops its last reference at `to`).
  void setDeath(ObjectRef r, DeathTick to);
  DeathTick deathOf(ObjectRef r) const { return spans_[r.span].death[r.slot]; }
  // Every allocated slot whose death is `tag` gets death `to`; if fraction < 1, a uniformly
  // random round(fraction * n) of the n such slots (selection sampling with rng).
  // Returns the bytes (slot sizes) that moved.
  Bytes retag(DeathTick tag, DeathTick to, double fraction, Rng& rng);

  // --- GC interface ---
  // Mark termination: the mark that started at markTick is complete. Flips the span sets to
  // unswept, releases the mcaches (sweeping spans cached before the flip), resets heapLive to
  // heapMarked (gcController.resetLive).
  void startSweepCycle(DeathTick markTick, Bytes heapMarked);
  // sweepone: sweeps one span; false if nothing is left to sweep.
  bool sweepOne();
  // Sweeps spans worth `budgetNs` of CPU (the background sweeper); returns ns used.
  int64_t sweepFor(int64_t budgetNs);
  void finishSweep();
  // The CPU the program's own goroutines spent sweeping since the last call: every span swept
  // outside sweepFor (mcentral.cacheSpan, deductSweepCredit's proportional sweep, mheap.reclaim,
  // gcStart's sweepone loop, runtime.GC), at the cost model below.
  int64_t takeMutatorSweepNs();
  bool isSweepDone() const { return unswept_ == 0; }
  // gcPaceSweeper (mgc.go): sweep pacing for proportional sweep, given the next trigger.
  void paceSweeper(Bytes trigger);
  // mcache.releaseAll at GC start (gcStart -> ... prepareForSweep happens at the flip).
  void releaseAllCaches();

  // --- stats (what ReadMemStats would see: mcaches flushed) ---
  Bytes heapLive() const { return Bytes(heapLive_); }
  void addHeapLive(Bytes d) { heapLive_ += d.v; }
  // Allocation totals come from the ledger (every slot handed out is recorded there once).
  Bytes heapAlloc() const { return totalAlloc() - totalFree(); }  // live or unswept slots
  int64_t heapObjects() const { return ledger_.totalAllocated().objects - frees_; }
  Bytes totalAlloc() const { return Bytes(ledger_.totalAllocated().bytes); }
  Bytes totalFree() const { return Bytes(totalFree_); }
  int64_t mallocs() const { return ledger_.totalAllocated().objects + tinyAllocs_; }
  int64_t frees() const { return frees_ + tinyAllocs_; }  // mstats.go counts tiny in both
  int64_t tinyAllocs() const { return tinyAllocs_; }  // objects packed into an existing tiny block
  int64_t spansInUse() const { return spansInUse_; }
  int64_t spanStructsEver() const { return static_cast<int64_t>(spans_.size()); }
  const SweepStats& sweepStats() const { return sweepStats_; }
  uint32_t sweepgen() const { return sweepgen_; }
  // For audits (tests, fuzzing): the heap recounted span by span, apart from the totals above
  // (allocated minus freed): the pages of the spans in use, and their occupied slots.
  struct Recount {
    int64_t spans = 0, spanPages = 0, slotBytes = 0, objects = 0;
  };
  Recount recount() const;

 private:
  struct CentralLists {
    std::deque<uint32_t> partialSwept, fullSwept, partialUnswept, fullUnswept;
  };
  // The quiet spans of one span class: ids[0, swept) are swept this cycle, the rest unswept
  // (counted in unswept_). Each member is full, not cached, swept since its last allocation,
  // and its sweepgen field reads kQuietSweepgen (its real sweepgen follows from its position).
  struct QuietSet {
    std::vector<uint32_t> ids;
    size_t swept = 0;
    DeathTick minDeath = kForever;  // a lower bound on the members' minDeath
  };
  static constexpr uint32_t kQuietSweepgen = 0xFFFFFFFFu;
  struct MCache {
    std::vector<uint32_t> alloc;  // span id per span class, kNoSpan if none
    uint32_t tinySpan = kNoSpan;
    uint32_t tinySlot = 0;
    int64_t tinyOffset = 0;
  };
  static constexpr uint32_t kNoSpan = 0xFFFFFFFFu;

  uint32_t refill(int p, int spanClass);
  uint32_t cacheSpan(int spanClass);
  uint32_t allocSpan(Pages npages, int spanClass);
  uint32_t newSpanStruct();
  void freeSpan(uint32_t id);
  // sweep one span: frees dead slots; returns true if the span went back to the page heap.
  // preserve: the caller keeps the span (cacheSpan) even if it is empty.
  bool sweep(uint32_t id, bool preserve);
  void deductSweepCredit(int64_t spanBytes, int64_t callerSweepPages);
  void reclaim(int64_t npages);
  void uncacheSpan(uint32_t id);
  int32_t nextFreeIndex(Span& s);
  static void refillAllocCache(Span& s);
  // The program writes the first `written` bytes of slots first..last (consecutive).
  void touchSlots(int64_t base, int64_t elemsize, int64_t written, int32_t first, int32_t last);
  static DeathTick exactMaxDeath(const Span& s);
  // Puts an object in slot i of span id (i from nextFreeIndex).
  ObjectRef allocSlot(uint32_t id, int32_t i, DeathTick death, Bytes touch);
  void pushSwept(uint32_t id);
  // sweepone, except that quiet spans go in bulk: sweeps the next span, or the next run of
  // quiet spans of one class, as many as cover maxPages pages and maxNs of sweep CPU (at least
  // one). Returns the spans swept, 0 when nothing is left to sweep.
  int64_t sweepNext(int64_t maxPages, int64_t maxNs);
  // Sweeps up to n unswept quiet spans of span class spc at once; returns how many.
  int64_t sweepQuiet(int spc, int64_t n);
  bool quietEligible(const Span& s) const;
  void joinQuiet(uint32_t id);
  // Takes a span out of its quiet set, back on its class's full swept or unswept list.
  void wakeQuiet(uint32_t id);
  // A member's death moved to `to`: keep the set's bound, and wake the span if the object
  // would now die before the current mark.
  void quietDeathMoved(Span& s, uint32_t id, DeathTick to);
  // At the flip: every member becomes unswept; those with an object dying at or before the
  // new mark go back to the full unswept list.
  void flipQuiet(int spc, DeathTick markTick);

  const SpanLayout& layout_;
  const SizeClassTable& classes_;
  PageAllocator& pages_;
  OsMemory& os_;
  Ledger& ledger_;
  MHeapHooks& hooks_;
  std::vector<Span> spans_;
  std::vector<uint32_t> freeSpanIds_;
  std::vector<CentralLists> central_;  // per span class
  std::vector<QuietSet> quiet_;        // per span class
  std::vector<MCache> mcaches_;
  std::vector<uint32_t> reclaimList_;  // spans wholly dead at the flip, for mheap.reclaim
  size_t reclaimIndex_ = 0;
  size_t sweepClassIndex_ = 0;         // sweep.centralIndex
  uint32_t sweepgen_ = 2;
  DeathTick markTick_ = 0;             // the mark the current sweep cycle belongs to
  int64_t unswept_ = 0;
  double sweepPagesPerByte_ = 0;
  int64_t sweepHeapLiveBasis_ = 0;
  int64_t pagesSweptBasis_ = 0;
  SweepStats sweepStats_;
  double sweepNsPerSpan_, sweepNsPerSlot_;  // kSweepNsPerSpan, kSweepNsPerSlot / machine.cpu_speed
  int64_t sweepCostNs_ = 0;       // every span swept, at sweepNsPerSpan_ + sweepNsPerSlot_ per slot freed
  int64_t bgSweepCostNs_ = 0;     // of which sweepFor (the background sweeper)
  int64_t mutatorSweepTaken_ = 0; // of the rest, what takeMutatorSweepNs has returned
  int64_t heapLive_ = 0;
  int64_t tinyAllocs_ = 0;
  int64_t totalFree_ = 0, frees_ = 0;
  int64_t spansInUse_ = 0;
  bool releasedSpansSkipZeroing_ = false;
};

// Sweep cost model (Go 1.19 mgcsweep.go sweepLocked.sweep, by bgsweep on idle Ps or by the
// allocating goroutine): a span costs a fixed part - its mspan, mark and alloc bits and a fresh
// gcmarkBits, cold in cache on a big heap - plus a part per freed slot. Calibrated on the
// at-limit runs (tests/fidelity/go1.19.8/at-limit), where the heap sits at its goal and the
// whole sweep lies between one cycle's end and the next one's start: 50 ms at 1.0-1.1 GB and
// 59-67 ms at 1.3 GB (median gaps, gctrace), for ~75-100 k spans swept by the allocating
// goroutine and bgsweep together (bgsweep Goscheds after every span, mgcsweep.go), ~1.2 us per
// span of the two. Before that run there was no measurement (300 ns was a guess).
inline constexpr int64_t kSweepNsPerSpan = 1200;
inline constexpr int64_t kSweepNsPerSlot = 2;

}  // namespace gomemsim
