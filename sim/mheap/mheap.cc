#include "mheap/mheap.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gomemsim {
namespace {
constexpr int kNumSpanClasses = kMaxSizeClasses * 2;  // mheap.go: numSpanClasses
HeapAmount amountOf(const Span& s, const SpanLayout& layout) {
  const int64_t scan = s.noscan() ? 0 : s.elemsize;
  const int64_t typed = layout.scannedThroughType(Bytes(s.elemsize), !s.noscan()) ? scan : 0;
  return HeapAmount{s.elemsize, 1, scan, kSpanShareUnit / s.nelems, typed};
}

// ceil(a / b) for a >= 0, b > 0, without overflow at INT64_MAX.
int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

struct SlotSweep {
  uint32_t freed = 0;
  DeathTick minKeptMinus1 = kForever;  // min over survivors of death - 1 (free slots wrap)
  DeathTick maxKept = kFreeSlot;
};

// The sweep of one span's slots (mgcsweep.go sweepLocked: allocBits = gcmarkBits), as one
// dense branch-free pass the compiler vectorises: a slot dies if it is allocated
// (death != kFreeSlot = 0) and its death is at or before the mark, i.e. death - 1 < mark in
// unsigned arithmetic, which also maps free slots out of range.
SlotSweep sweepSlots(DeathTick* __restrict death, int32_t n, DeathTick mark) {
  uint32_t freed = 0;
  DeathTick minm1 = kForever, mx = kFreeSlot;
  for (int32_t i = 0; i < n; ++i) {
    const DeathTick d = death[i];
    const DeathTick dead = static_cast<DeathTick>(d - 1u < mark);
    const DeathTick kept = d & (dead - 1u);  // dead: kFreeSlot, else d
    death[i] = kept;
    freed += dead;
    mx = mx > kept ? mx : kept;
    const DeathTick km = kept - 1u;
    minm1 = minm1 < km ? minm1 : km;
  }
  return SlotSweep{freed, minm1, mx};
}

// allocBits from the slots' deaths: bit i set when slot i holds an object. Four slots at a
// time with SSE2 where the compiler targets it (every x86-64), one at a time otherwise.
void packAllocBits(const DeathTick* death, int32_t n, uint64_t* bits) {
  for (int32_t base = 0; base < n; base += 64) {
    const int32_t lim = std::min(64, n - base);
    uint64_t m = 0;
    int32_t j = 0;
#if defined(__SSE2__)
    const __m128i freeSlot = _mm_set1_epi32(static_cast<int>(kFreeSlot));
    for (; j + 4 <= lim; j += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(death + base + j));
      const int isFree = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, freeSlot)));
      m |= static_cast<uint64_t>(~isFree & 0xF) << j;
    }
#endif
    for (; j < lim; ++j) m |= uint64_t{death[base + j] != kFreeSlot} << j;
    bits[base >> 6] = m;
  }
}
}  // namespace

MHeap::MHeap(const SpanLayout& layout, PageAllocator& pages, OsMemory& os, Ledger& ledger, int nprocs,
             MHeapHooks& hooks, bool releasedSpansSkipZeroing, double cpuSpeed)
    : layout_(layout), classes_(layout.classes()), pages_(pages), os_(os), ledger_(ledger), hooks_(hooks),
      central_(kNumSpanClasses), quiet_(kNumSpanClasses), mcaches_(static_cast<size_t>(nprocs)),
      sweepNsPerSpan_(static_cast<double>(kSweepNsPerSpan) / cpuSpeed),
      sweepNsPerSlot_(static_cast<double>(kSweepNsPerSlot) / cpuSpeed),
      releasedSpansSkipZeroing_(releasedSpansSkipZeroing) {
  for (auto& c : mcaches_) c.alloc.assign(kNumSpanClasses, kNoSpan);
}

namespace {

// mbitmap.go refillAllocCache: the free slots of the allocBits word holding freeindex, from
// freeindex on.
uint64_t allocCacheAt(const std::vector<uint64_t>& allocBits, int32_t freeindex) {
  const auto word = static_cast<size_t>(freeindex >> 6);
  return word < allocBits.size() ? ~allocBits[word] >> (freeindex & 63) : 0;
}

// malloc.go nextFreeFast / mbitmap.go nextFreeIndex: the first free slot at or after
// freeindex, from the 64-slot allocCache; freeindex moves past it. The caller knows the span is
// not full (allocCount < nelems), so such a slot exists. Works on copies of the span's two
// fields so that a batch keeps them in registers.
int32_t takeFreeSlot(int32_t& freeindex, uint64_t& allocCache, const std::vector<uint64_t>& allocBits) {
  while (allocCache == 0) {
    freeindex = (freeindex | 63) + 1;  // nothing free in the rest of this word
    allocCache = allocCacheAt(allocBits, freeindex);
  }
  const int bit = std::countr_zero(allocCache);
  const int32_t i = freeindex + bit;
  freeindex = i + 1;
  allocCache = bit == 63 ? 0 : allocCache >> (bit + 1);
  if ((freeindex & 63) == 0) allocCache = allocCacheAt(allocBits, freeindex);
  return i;
}

}  // namespace

void MHeap::refillAllocCache(Span& s) { s.allocCache = allocCacheAt(s.allocBits, s.freeindex); }

int32_t MHeap::nextFreeIndex(Span& s) { return takeFreeSlot(s.freeindex, s.allocCache, s.allocBits); }

DeathTick MHeap::exactMaxDeath(const Span& s) {
  // Free slots hold kFreeSlot (0), below every death.
  return s.death.empty() ? 0 : *std::max_element(s.death.begin(), s.death.end());
}

ObjectRef MHeap::allocSlot(uint32_t id, int32_t i, DeathTick death, Bytes touch) {
  Span& s = spans_[id];
  death = std::max(death, kFirstDeath);
  ++s.allocCount;
  s.death[static_cast<size_t>(i)] = death;
  s.minDeath = std::min(s.minDeath, death);
  s.maxDeath = std::max(s.maxDeath, death);
  ledger_.allocated(death, amountOf(s, layout_));
  // mallocgc zeroes the slot when the span may be dirty; otherwise only what the program writes.
  const int64_t written = s.needzero ? s.elemsize : std::min<int64_t>(touch.v, s.elemsize);
  os_.touch(s.base() + Bytes(int64_t{i} * s.elemsize), Bytes(written));
  return ObjectRef{id, static_cast<uint32_t>(i)};
}

ObjectRef MHeap::mallocSmall(int p, int sizeclass, bool noscan, DeathTick death, Bytes touch) {
  const int spc = sizeclass << 1 | (noscan ? 1 : 0);
  uint32_t id = mcaches_[static_cast<size_t>(p)].alloc[static_cast<size_t>(spc)];
  if (id == kNoSpan || spans_[id].allocCount == spans_[id].nelems) id = refill(p, spc);
  // Slots below freeindex are all taken until the next sweep, so a span that is not full has
  // a free slot at or after it.
  return allocSlot(id, nextFreeIndex(spans_[id]), death, touch);
}

void MHeap::touchSlots(int64_t base, int64_t elemsize, int64_t written, int32_t first, int32_t last) {
  const int64_t from = base + int64_t{first} * elemsize;
  const int64_t to = base + int64_t{last} * elemsize + written;  // end of the last slot's prefix
  os_.touch(Bytes(from), Bytes(to - from));
}

void MHeap::mallocSmallBatch(int p, int sizeclass, bool noscan, const DeathTick* deaths,
                             Bytes touch, int n, ObjectRef* out) {
  assert(std::all_of(deaths, deaths + n, [](DeathTick d) { return d >= kFirstDeath; }));
  const int spc = sizeclass << 1 | (noscan ? 1 : 0);
  for (int j = 0; j < n;) {
    uint32_t id = mcaches_[static_cast<size_t>(p)].alloc[static_cast<size_t>(spc)];
    if (id == kNoSpan || spans_[id].allocCount == spans_[id].nelems) id = refill(p, spc);
    Span& s = spans_[id];  // (refill may grow spans_, so only now)
    const int fit = std::min(n - j, s.nelems - s.allocCount);
    // allocSlot for `fit` objects, with the span's fields held in registers.
    const HeapAmount amount = amountOf(s, layout_);
    const int64_t base = s.base().v, elemsize = s.elemsize;
    // mallocgc zeroes the slot when the span may be dirty; otherwise only what is written.
    const int64_t written = s.needzero ? elemsize : std::min(touch.v, elemsize);
    DeathTick lo = s.minDeath, hi = s.maxDeath;
    int32_t freeindex = s.freeindex;
    uint64_t allocCache = s.allocCache;
    DeathTick* death = s.death.data();
    const int first = j;
    // Consecutive slots of at most 4 KiB touch one contiguous range of OS pages (every page
    // between holds a written prefix), so the OS sees one touch per run of slots.
    const bool runs = elemsize <= kOsPageSize && written > 0;
    int32_t runFirst = -1, runLast = -1;
    for (const int end = j + fit; j < end; ++j) {
      const int32_t i = takeFreeSlot(freeindex, allocCache, s.allocBits);
      const DeathTick d = deaths[j];
      death[i] = d;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      out[j] = ObjectRef{id, static_cast<uint32_t>(i)};
      if (!runs) {
        os_.touch(Bytes(base + int64_t{i} * elemsize), Bytes(written));
      } else if (i == runLast + 1 && runFirst >= 0) {
        runLast = i;
      } else {
        if (runFirst >= 0) touchSlots(base, elemsize, written, runFirst, runLast);
        runFirst = runLast = i;
      }
    }
    if (runFirst >= 0) touchSlots(base, elemsize, written, runFirst, runLast);
    s.freeindex = freeindex;
    s.allocCache = allocCache;
    s.allocCount += fit;
    s.minDeath = lo;
    s.maxDeath = hi;
    ledger_.allocatedBatch(deaths + first, fit, amount);
  }
}

ObjectRef MHeap::mallocTiny(int p, Bytes size, DeathTick death) {
  MCache& c = mcaches_[static_cast<size_t>(p)];
  // malloc.go: align the tiny offset for the object's natural alignment.
  int64_t off = c.tinyOffset;
  if ((size.v & 7) == 0) off = (off + 7) & ~int64_t{7};
  else if ((size.v & 3) == 0) off = (off + 3) & ~int64_t{3};
  else if ((size.v & 1) == 0) off = (off + 1) & ~int64_t{1};
  if (c.tinySpan != kNoSpan && off + size.v <= kTinySize) {
    // Fits in the current block: no span work. The block lives as long as its longest-lived
    // sub-object (a held tag outranks any time).
    Span& s = spans_[c.tinySpan];
    DeathTick& d = s.death[c.tinySlot];
    const DeathTick nd = std::max(d, death);
    if (nd != d) {
      ledger_.moved(d, nd, amountOf(s, layout_));
      d = nd;
      s.maxDeath = std::max(s.maxDeath, nd);
    }
    c.tinyOffset = off + size.v;
    ++tinyAllocs_;
    os_.touch(s.base() + Bytes(int64_t{c.tinySlot} * s.elemsize + off), size);
    return ObjectRef{c.tinySpan, c.tinySlot};
  }
  // A new 16-byte block from the tiny size class; malloc.go zeroes its two words.
  const ObjectRef r = mallocSmall(p, kTinySizeClass, true, death, Bytes(kTinySize));
  MCache& c2 = mcaches_[static_cast<size_t>(p)];  // (refill may not move it, but be explicit)
  if (size.v < c2.tinyOffset || c2.tinySpan == kNoSpan) {
    c2.tinySpan = r.span;
    c2.tinySlot = r.slot;
    c2.tinyOffset = size.v;
  }
  return r;
}

ObjectRef MHeap::mallocLarge(Bytes size, bool noscan, DeathTick death, Bytes touch) {
  const Pages npages = pagesFor(size);
  // mcache.allocLarge: the reclaim in mheap.alloc already swept npages' worth.
  deductSweepCredit(toBytes(npages).v, npages.v);
  const int spc = noscan ? 1 : 0;
  const uint32_t id = allocSpan(npages, spc);
  // mcache.allocLarge: put the span on the full swept list so the sweeper finds it.
  central_[static_cast<size_t>(spc)].fullSwept.push_back(id);
  const ObjectRef r = allocSlot(id, nextFreeIndex(spans_[id]), death, touch);
  heapLive_ += toBytes(npages).v;
  hooks_.heapLiveGrew();
  return r;
}

void MHeap::setDeath(ObjectRef r, DeathTick to) {
  to = std::max(to, kFirstDeath);
  Span& s = spans_[r.span];
  DeathTick& d = s.death[r.slot];
  ledger_.moved(d, to, amountOf(s, layout_));
  d = to;
  s.minDeath = std::min(s.minDeath, to);
  // A one-object span's bound is exact; otherwise it stays an upper bound until the next sweep.
  s.maxDeath = s.nelems == 1 ? to : std::max(s.maxDeath, to);
  if (s.quietIndex >= 0) quietDeathMoved(s, r.span, to);
}

Bytes MHeap::retag(DeathTick tag, DeathTick to, double fraction, Rng& rng) {
  int64_t n = 0;
  for (const Span& s : spans_) {
    if (s.state != SpanState::InUse) continue;
    for (int32_t i = 0; i < s.nelems; ++i)
      if (s.death[static_cast<size_t>(i)] == tag) ++n;
  }
  int64_t need = fraction >= 1.0 ? n : std::llround(fraction * static_cast<double>(n));
  int64_t remaining = n;
  int64_t moved = 0;
  for (uint32_t id = 0; id < spans_.size(); ++id) {
    Span& s = spans_[id];
    if (s.state != SpanState::InUse || need == 0) continue;
    const int64_t movedBefore = moved;
    for (int32_t i = 0; i < s.nelems && need > 0; ++i) {
      DeathTick& d = s.death[static_cast<size_t>(i)];
      if (d != tag) continue;
      // Selection sampling (Knuth's algorithm S): each member is chosen with need/remaining.
      const bool take = need == remaining || rng.below(static_cast<uint64_t>(remaining)) < static_cast<uint64_t>(need);
      --remaining;
      if (!take) continue;
      --need;
      ledger_.moved(d, to, amountOf(s, layout_));
      d = to;
      s.minDeath = std::min(s.minDeath, to);
      moved += s.elemsize;
    }
    if (moved == movedBefore) continue;
    s.maxDeath = exactMaxDeath(s);
    if (s.quietIndex >= 0) quietDeathMoved(s, id, to);
  }
  return Bytes(moved);
}

uint32_t MHeap::refill(int p, int spc) {
  MCache& c = mcaches_[static_cast<size_t>(p)];
  const uint32_t old = c.alloc[static_cast<size_t>(spc)];
  if (old != kNoSpan) uncacheSpan(old);
  const uint32_t id = cacheSpan(spc);
  Span& s = spans_[id];
  s.sweepgen = sweepgen_ + 3;  // swept and cached
  // mcache.refill: count the whole span's free space as live for pacing.
  heapLive_ += s.bytes().v - int64_t{s.allocCount} * s.elemsize;
  mcaches_[static_cast<size_t>(p)].alloc[static_cast<size_t>(spc)] = id;
  hooks_.heapLiveGrew();
  return id;
}

void MHeap::uncacheSpan(uint32_t id) {
  Span& s = spans_[id];
  if (s.sweepgen == sweepgen_ + 1) {  // cached before this sweep cycle began: sweep it now
    sweep(id, false);                 // (never counted in unswept_: it was in no span set)
    return;
  }
  s.sweepgen = sweepgen_;
  pushSwept(id);
}

void MHeap::pushSwept(uint32_t id) {
  Span& s = spans_[id];
  CentralLists& cl = central_[static_cast<size_t>(s.spanClass)];
  if (s.allocCount == s.nelems) cl.fullSwept.push_back(id);
  else cl.partialSwept.push_back(id);
}

uint32_t MHeap::cacheSpan(int spc) {
  const int sizeclass = spc >> 1;
  const int64_t spanBytes = classes_.cls(sizeclass).npages * kPageSize;
  deductSweepCredit(spanBytes, 0);
  CentralLists& cl = central_[static_cast<size_t>(spc)];
  while (!cl.partialSwept.empty()) {
    const uint32_t id = cl.partialSwept.front();
    cl.partialSwept.pop_front();
    const Span& s = spans_[id];
    if (s.state == SpanState::InUse && s.sweepgen == sweepgen_ && s.allocCount < s.nelems) return id;
  }
  int budget = 100;  // mcentral.go: spanBudget
  for (; budget >= 0 && !cl.partialUnswept.empty(); --budget) {
    const uint32_t id = cl.partialUnswept.front();
    cl.partialUnswept.pop_front();
    if (spans_[id].state != SpanState::InUse || spans_[id].sweepgen != sweepgen_ - 2) continue;
    sweep(id, true);
    return id;
  }
  for (; budget >= 0 && !cl.fullUnswept.empty(); --budget) {
    const uint32_t id = cl.fullUnswept.front();
    cl.fullUnswept.pop_front();
    if (spans_[id].state != SpanState::InUse || spans_[id].sweepgen != sweepgen_ - 2) continue;
    sweep(id, true);
    Span& s = spans_[id];
    if (s.allocCount < s.nelems) return id;
    if (quietEligible(s)) joinQuiet(id);
    else cl.fullSwept.push_back(id);
  }
  // The quiet spans come after the full unswept list, as sweepone takes them; they are full
  // after their sweep, so they only use up the budget.
  if (budget >= 0) sweepQuiet(spc, int64_t{budget} + 1);
  return allocSpan(Pages(classes_.cls(sizeclass).npages), spc);
}

uint32_t MHeap::newSpanStruct() {
  if (!freeSpanIds_.empty()) {
    const uint32_t id = freeSpanIds_.back();
    freeSpanIds_.pop_back();
    return id;
  }
  spans_.emplace_back();
  return static_cast<uint32_t>(spans_.size() - 1);
}

uint32_t MHeap::allocSpan(Pages npages, int spc) {
  if (!isSweepDone()) reclaim(npages.v);
  auto a = pages_.alloc(npages);
  Bytes growth{0};
  if (!a) {
    const Bytes before = toBytes(pages_.mapped());
    growth = toBytes(pages_.grow(npages));
    os_.mapUpTo(toBytes(pages_.mapped()));
    hooks_.heapMapped(before, toBytes(pages_.mapped()) - before);
    a = pages_.alloc(npages);
  }
  const uint32_t id = newSpanStruct();
  Span& s = spans_[id];
  s.startPage = a->base;
  s.npages = static_cast<int32_t>(npages.v);
  s.spanClass = spc;
  const int sizeclass = spc >> 1;
  if (sizeclass == 0) {
    s.elemsize = toBytes(npages).v;
    s.nelems = 1;
  } else {
    s.elemsize = classes_.cls(sizeclass).size;
    s.nelems = layout_.nelems(sizeclass, s.noscan());
  }
  s.allocCount = 0;
  s.freeindex = 0;
  s.sweepgen = sweepgen_;
  s.state = SpanState::InUse;
  s.minDeath = kForever;
  s.maxDeath = 0;
  // A span struct comes back free only after a sweep freed every slot, so its arrays are
  // already all free when the slot count matches.
  if (s.death.size() != static_cast<size_t>(s.nelems)) {
    s.death.assign(static_cast<size_t>(s.nelems), kFreeSlot);
    s.allocBits.assign(static_cast<size_t>((s.nelems + 63) / 64), 0);
  }
  s.allocCache = ~uint64_t{0};
  s.needzero = pages_.allocNeedsZero(a->base, npages) && !(releasedSpansSkipZeroing_ && a->scavenged == npages.v);
  ++spansInUse_;
  hooks_.spanAllocated(growth, toBytes(Pages(a->scavenged)));
  if (sizeclass != 0) {
    // mheap.go allocSpan -> initSpan (Go 1.22+), after the scavenging and sysUsed above: the
    // span's pointer bits and inline mark bits are cleared or set at its end.
    Span& t = spans_[id];
    const int64_t tail = layout_.tailReserve(sizeclass, t.noscan());
    if (tail > 0) os_.touch(t.base() + t.bytes() - Bytes(tail), Bytes(tail));
  }
  return id;
}

void MHeap::freeSpan(uint32_t id) {
  Span& s = spans_[id];
  pages_.free(s.startPage, Pages(s.npages));
  s.state = SpanState::Dead;
  --spansInUse_;
  freeSpanIds_.push_back(id);
}

bool MHeap::sweep(uint32_t id, bool preserve) {
  Span& s = spans_[id];
  const bool wasUnswept = s.sweepgen == sweepgen_ - 2;
  s.sweepgen = sweepgen_;
  int64_t nfreed = 0;
  if (s.maxDeath <= markTick_) {
    // Every allocated slot died before the mark (a dropped set, an old slice buffer).
    nfreed = s.allocCount;
    std::fill(s.death.begin(), s.death.end(), kFreeSlot);
    std::fill(s.allocBits.begin(), s.allocBits.end(), 0);
    s.minDeath = kForever;
    s.maxDeath = 0;
  } else if (s.minDeath <= markTick_) {
    const SlotSweep r = sweepSlots(s.death.data(), s.nelems, markTick_);
    packAllocBits(s.death.data(), s.nelems, s.allocBits.data());
    nfreed = r.freed;
    s.minDeath = r.maxKept == kFreeSlot ? kForever : r.minKeptMinus1 + 1;
    s.maxDeath = r.maxKept;
  } else if (s.freeindex > 0) {
    // Nothing died, but objects allocated since the last sweep now count in allocBits.
    packAllocBits(s.death.data(), s.nelems, s.allocBits.data());
  }
  s.allocCount -= static_cast<int32_t>(nfreed);
  if (nfreed != 0 || s.freeindex != 0) {  // else allocBits and allocCache are unchanged
    s.freeindex = 0;
    refillAllocCache(s);
  }
  const int64_t freedBytes = nfreed * s.elemsize;
  totalFree_ += freedBytes;
  frees_ += nfreed;
  sweepStats_.pagesSwept += s.npages;
  ++sweepStats_.spansSwept;
  sweepStats_.objectsFreed += nfreed;
  sweepCostNs_ += std::llround(sweepNsPerSpan_ + sweepNsPerSlot_ * static_cast<double>(nfreed));
  bool freed = false;
  if (!preserve) {
    if (s.allocCount == 0) {
      freeSpan(id);
      freed = true;
    } else if (quietEligible(s)) {
      joinQuiet(id);
    } else {
      pushSwept(id);
    }
  }
  if (wasUnswept && --unswept_ == 0) hooks_.sweepDone();
  return freed;
}

bool MHeap::sweepOne() { return sweepNext(1, 1) > 0; }

int64_t MHeap::sweepNext(int64_t maxPages, int64_t maxNs) {
  // mgcsweep.go: sweepone walks the span classes, partial unswept before full unswept.
  while (sweepClassIndex_ < central_.size() * 2) {
    const int spc = static_cast<int>(sweepClassIndex_ / 2);
    CentralLists& cl = central_[static_cast<size_t>(spc)];
    const bool full = sweepClassIndex_ % 2 == 1;
    auto& list = full ? cl.fullUnswept : cl.partialUnswept;
    while (!list.empty()) {
      const uint32_t id = list.front();
      list.pop_front();
      if (spans_[id].state == SpanState::InUse && spans_[id].sweepgen == sweepgen_ - 2) {
        sweep(id, false);
        return 1;
      }
    }
    const QuietSet& q = quiet_[static_cast<size_t>(spc)];
    if (full && q.swept < q.ids.size()) {
      // As many as one-by-one sweeps would take to cover the pages and the CPU asked for.
      const int64_t npages = classes_.cls(spc >> 1).npages;
      const int64_t byPages = ceilDiv(maxPages, npages);
      const int64_t byNs = ceilDiv(maxNs, std::max<int64_t>(1, std::llround(sweepNsPerSpan_)));
      return sweepQuiet(spc, std::max<int64_t>(1, std::min(byPages, byNs)));
    }
    ++sweepClassIndex_;
  }
  return 0;
}

bool MHeap::quietEligible(const Span& s) const {
  // Large spans (class 0) differ in size, so they are swept one by one.
  return s.sizeclass() != 0 && s.allocCount == s.nelems && s.freeindex == 0 && s.minDeath > markTick_;
}

void MHeap::joinQuiet(uint32_t id) {
  // Just swept, so it joins the swept part: ids[swept] moves to the end to make room.
  Span& s = spans_[id];
  QuietSet& q = quiet_[static_cast<size_t>(s.spanClass)];
  q.ids.push_back(id);
  const size_t last = q.ids.size() - 1;
  if (q.swept != last) {
    std::swap(q.ids[q.swept], q.ids[last]);
    spans_[q.ids[last]].quietIndex = static_cast<int32_t>(last);
  }
  s.quietIndex = static_cast<int32_t>(q.swept++);
  s.sweepgen = kQuietSweepgen;
  q.minDeath = std::min(q.minDeath, s.minDeath);
}

void MHeap::wakeQuiet(uint32_t id) {
  Span& s = spans_[id];
  QuietSet& q = quiet_[static_cast<size_t>(s.spanClass)];
  auto i = static_cast<size_t>(s.quietIndex);
  const bool swept = i < q.swept;
  auto moveTo = [&](size_t from, size_t to) {
    q.ids[to] = q.ids[from];
    spans_[q.ids[to]].quietIndex = static_cast<int32_t>(to);
  };
  if (swept) {  // the last swept one fills the hole, the last unswept one fills its place
    moveTo(--q.swept, i);
    i = q.swept;
  }
  if (i != q.ids.size() - 1) moveTo(q.ids.size() - 1, i);
  q.ids.pop_back();
  s.quietIndex = -1;
  CentralLists& cl = central_[static_cast<size_t>(s.spanClass)];
  s.sweepgen = swept ? sweepgen_ : sweepgen_ - 2;  // still counted in unswept_ if unswept
  (swept ? cl.fullSwept : cl.fullUnswept).push_back(id);
}

void MHeap::quietDeathMoved(Span& s, uint32_t id, DeathTick to) {
  QuietSet& q = quiet_[static_cast<size_t>(s.spanClass)];
  q.minDeath = std::min(q.minDeath, to);
  // (An unswept quiet span means sweepone has not passed its class's full list yet.)
  if (to <= markTick_ && static_cast<size_t>(s.quietIndex) >= q.swept) wakeQuiet(id);
}

int64_t MHeap::sweepQuiet(int spc, int64_t n) {
  QuietSet& q = quiet_[static_cast<size_t>(spc)];
  n = std::min<int64_t>(n, static_cast<int64_t>(q.ids.size() - q.swept));
  if (n <= 0) return 0;
  // What sweep() does for each: sweepgen only; nothing freed, allocBits unchanged.
  q.swept += static_cast<size_t>(n);
  sweepStats_.pagesSwept += n * classes_.cls(spc >> 1).npages;
  sweepStats_.spansSwept += n;
  sweepCostNs_ += std::llround(static_cast<double>(n) * sweepNsPerSpan_);
  unswept_ -= n;
  if (unswept_ == 0) hooks_.sweepDone();
  return n;
}

void MHeap::flipQuiet(int spc, DeathTick markTick) {
  QuietSet& q = quiet_[static_cast<size_t>(spc)];
  q.swept = 0;
  if (q.minDeath <= markTick) {
    // Some member may hold an object this mark found dead: those go back to the full
    // unswept list (already swapped in) to be swept one by one.
    DeathTick lo = kForever;
    size_t kept = 0;
    for (const uint32_t id : q.ids) {
      Span& s = spans_[id];
      if (s.minDeath <= markTick) {
        s.quietIndex = -1;
        s.sweepgen = sweepgen_ - 2;
        central_[static_cast<size_t>(spc)].fullUnswept.push_back(id);
        continue;
      }
      s.quietIndex = static_cast<int32_t>(kept);
      q.ids[kept++] = id;
      lo = std::min(lo, s.minDeath);
    }
    q.ids.resize(kept);
    q.minDeath = lo;
  }
  unswept_ += static_cast<int64_t>(q.ids.size());
}

int64_t MHeap::sweepFor(int64_t budgetNs) {
  const int64_t before = sweepCostNs_;
  while (sweepCostNs_ - before < budgetNs && !isSweepDone()) {
    if (sweepNext(INT64_MAX, budgetNs - (sweepCostNs_ - before)) == 0) break;
  }
  const int64_t used = sweepCostNs_ - before;
  bgSweepCostNs_ += used;
  return used;
}

int64_t MHeap::takeMutatorSweepNs() {
  const int64_t total = sweepCostNs_ - bgSweepCostNs_;
  const int64_t fresh = total - mutatorSweepTaken_;
  mutatorSweepTaken_ = total;
  return fresh;
}

void MHeap::finishSweep() {
  while (!isSweepDone() && sweepNext(INT64_MAX, INT64_MAX) > 0) {
  }
}

void MHeap::reclaim(int64_t npages) {
  // mheap.reclaim: sweep spans that have no marked objects at all, until npages are freed.
  int64_t freed = 0;
  while (freed < npages && reclaimIndex_ < reclaimList_.size()) {
    const uint32_t id = reclaimList_[reclaimIndex_++];
    Span& s = spans_[id];
    if (s.state != SpanState::InUse || s.sweepgen != sweepgen_ - 2) continue;
    const int64_t np = s.npages;
    if (sweep(id, false)) freed += np;
  }
}

void MHeap::deductSweepCredit(int64_t spanBytes, int64_t callerSweepPages) {
  // mgcsweep.go: deductSweepCredit — sweep pages in proportion to the bytes allocated.
  if (sweepPagesPerByte_ == 0) return;
  const int64_t newHeapLive = heapLive_ - sweepHeapLiveBasis_ + spanBytes;
  const int64_t pagesTarget =
      static_cast<int64_t>(sweepPagesPerByte_ * static_cast<double>(newHeapLive)) - callerSweepPages;
  while (pagesTarget > sweepStats_.pagesSwept - pagesSweptBasis_) {
    if (sweepNext(pagesTarget - (sweepStats_.pagesSwept - pagesSweptBasis_), INT64_MAX) == 0) {
      sweepPagesPerByte_ = 0;
      break;
    }
  }
}

void MHeap::paceSweeper(Bytes trigger) {
  // mgc.go: gcPaceSweeper.
  if (isSweepDone()) {
    sweepPagesPerByte_ = 0;
    return;
  }
  int64_t heapDistance = trigger.v - heapLive_ - (int64_t{1} << 20);
  if (heapDistance < kPageSize) heapDistance = kPageSize;
  const int64_t sweepDistancePages = pages_.inUse().v - sweepStats_.pagesSwept;
  if (sweepDistancePages <= 0) {
    sweepPagesPerByte_ = 0;
    return;
  }
  sweepPagesPerByte_ = static_cast<double>(sweepDistancePages) / static_cast<double>(heapDistance);
  sweepHeapLiveBasis_ = heapLive_;
  pagesSweptBasis_ = sweepStats_.pagesSwept;
}

void MHeap::releaseAllCaches() {
  for (auto& c : mcaches_) {
    for (auto& id : c.alloc) {
      if (id == kNoSpan) continue;
      Span& s = spans_[id];
      if (s.sweepgen != sweepgen_ + 1) {
        // mcache.releaseAll: refill counted the unallocated slots as live; undo that.
        heapLive_ -= int64_t{s.nelems - s.allocCount} * s.elemsize;
      }
      uncacheSpan(id);
      id = kNoSpan;
    }
    c.tinySpan = kNoSpan;  // the tiny block is dropped too
    c.tinyOffset = 0;
  }
}

void MHeap::startSweepCycle(DeathTick markTick, Bytes heapMarked) {
  finishSweep();  // nothing from the previous cycle may be left
  markTick_ = markTick;
  sweepgen_ += 2;
  // The swept sets become the unswept ones (mcentral.go: partialSwept/partialUnswept by
  // sweepgen parity); spans cached in mcaches now have sweepgen == sweepgen_ + 1 (stale).
  reclaimList_.clear();
  reclaimIndex_ = 0;
  for (size_t spc = 0; spc < central_.size(); ++spc) {
    CentralLists& cl = central_[spc];
    std::swap(cl.partialUnswept, cl.partialSwept);
    std::swap(cl.fullUnswept, cl.fullSwept);
    cl.partialSwept.clear();
    cl.fullSwept.clear();
    flipQuiet(static_cast<int>(spc), markTick);
    for (auto* list : {&cl.partialUnswept, &cl.fullUnswept}) {
      for (const uint32_t id : *list) {
        const Span& s = spans_[id];
        if (s.state != SpanState::InUse || s.sweepgen != sweepgen_ - 2) continue;
        ++unswept_;
        // Wholly dead spans (no slot survives this mark) are what mheap.reclaim looks for.
        const bool allDead = s.maxDeath <= markTick;
        if (allDead) reclaimList_.push_back(id);
      }
    }
  }
  sweepClassIndex_ = 0;
  sweepStats_ = SweepStats{};
  heapLive_ = heapMarked.v;  // gcController.resetLive
  releaseAllCaches();
  if (unswept_ == 0) hooks_.sweepDone();
}

MHeap::Recount MHeap::recount() const {
  Recount r;
  for (const Span& sp : spans_) {
    if (sp.state != SpanState::InUse) continue;
    ++r.spans;
    r.spanPages += sp.npages;
    for (const DeathTick d : sp.death) {
      if (d == kFreeSlot) continue;
      ++r.objects;
      r.slotBytes += sp.elemsize;
    }
  }
  return r;
}

}  // namespace gomemsim
