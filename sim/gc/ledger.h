// ledger: what is reachable, and when it stops being so.
//
// Models: the program's object graph reduced to what the GC's mark phase decides: an object is
// reachable until its lifetime ends (the workload gives each object a death time when it is
// allocated, or a tag for "held by a named live set / forever" that a drop later turns into a
// time). A mark that starts at time T keeps every object whose death is after T and every object
// allocated while it runs (Go allocates black during marking, mgcmark.go: gcmarknewobject), and
// finds the rest dead. The ledger keeps a calendar of bytes, objects and scannable bytes by
// death time, so reachable totals at any instant cost O(1) amortised, without visiting objects.
// Death times are quantised to DeathTick (1.048576 ms, the engine's allocation quantum: objects
// allocated in one quantum share an instant anyway); an object allocated during tick k dies no
// earlier than tick k+1, so "death <= markTick" never frees an object allocated black. The
// calendar is a ring of ticks (the next ~17 s) plus an ordered map beyond; a ring slot is hot
// in cache for lifetimes of up to a few seconds, which is what keeps allocation cheap.
// Does not model: pointers between objects (reachability is given, not traced).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "units/units.h"

namespace gomemsim {

using DeathTick = uint32_t;
inline constexpr int64_t kDeathTickShift = 20;               // 1.048576 ms per tick
inline constexpr DeathTick kTagBase = 0xFFFF0000u;           // >= : held, not timed
inline constexpr DeathTick kForever = 0xFFFFFFFFu;           // never dropped
inline constexpr int64_t kMaxSimulatedNs = (int64_t{kTagBase} - 2) << kDeathTickShift;  // ~52 days

inline bool isTimed(DeathTick d) { return d < kTagBase; }
inline DeathTick tickOf(SimTime t) { return static_cast<DeathTick>(t.ns >> kDeathTickShift); }
// The death tick of an object allocated at `now` living `life`: rounded up, and at least the
// tick after the allocation's own.
inline DeathTick deathTickFor(SimTime now, Duration life) {
  const int64_t d = (now.ns + life.v + (int64_t{1} << kDeathTickShift) - 1) >> kDeathTickShift;
  const int64_t minimum = (now.ns >> kDeathTickShift) + 1;
  const int64_t t = d < minimum ? minimum : d;
  return t >= int64_t{kTagBase} ? kTagBase - 1 : static_cast<DeathTick>(t);
}

// A span's share per object, in 1/kSpanShareUnit of a span: 1/nelems of its span each, so a
// sum of shares counts the spans the objects fill (what the mark visits span by span).
inline constexpr int64_t kSpanShareUnit = int64_t{1} << 16;

struct HeapAmount {
  int64_t bytes = 0;    // slot bytes (size class size, or whole pages for large objects)
  int64_t objects = 0;
  int64_t scanBytes = 0;  // bytes of objects with pointers
  int64_t spanShares = 0;  // spans filled, in 1/kSpanShareUnit
  // The part of scanBytes whose pointers the mark finds through the object's type rather than
  // heap bits (Go 1.22+ objects above 512 B: span_layout.h scannedThroughType).
  int64_t typedScanBytes = 0;
  HeapAmount& operator+=(const HeapAmount& o) {
    bytes += o.bytes; objects += o.objects; scanBytes += o.scanBytes; spanShares += o.spanShares;
    typedScanBytes += o.typedScanBytes;
    return *this;
  }
  HeapAmount& operator-=(const HeapAmount& o) {
    bytes -= o.bytes; objects -= o.objects; scanBytes -= o.scanBytes; spanShares -= o.spanShares;
    typedScanBytes -= o.typedScanBytes;
    return *this;
  }
  HeapAmount times(int64_t n) const {
    return HeapAmount{bytes * n, objects * n, scanBytes * n, spanShares * n, typedScanBytes * n};
  }
};

class Ledger {
 public:
  Ledger();
  void allocated(DeathTick death, const HeapAmount& a) {
    allocated_ += a;
    if (isTimed(death)) schedule(death, a);
    else held_ += a;
  }
  // n objects of the same amount, with these deaths. The ring's cursor is held in locals
  // while the ring is written.
  void allocatedBatch(const DeathTick* deaths, int n, HeapAmount each) {
    allocated_ += each.times(n);
    const int64_t processed = processed_;
    HeapAmount* ring = ring_.data();
    int64_t ringObjects = 0;
    int64_t held = 0;
    for (int j = 0; j < n; ++j) {
      const DeathTick d = deaths[j];
      if (!isTimed(d)) {
        ++held;
        continue;
      }
      const int64_t ahead = static_cast<int64_t>(d) - processed;
      if (ahead > 0 && ahead <= kRingSize) {
        ring[d & (kRingSize - 1)] += each;
        ringObjects += each.objects;
      } else {
        scheduleSlow(d, each);
      }
    }
    ringObjects_ += ringObjects;
    if (held != 0) held_ += each.times(held);
  }
  // An object's death moves (a drop turns a tag into a time; a tiny block gets a later death).
  void moved(DeathTick from, DeathTick to, const HeapAmount& a);
  // Everything dead at or before `tick` is counted dead; returns what is still reachable.
  // `tick` must not go backwards.
  HeapAmount reachableAt(DeathTick tick);
  const HeapAmount& totalAllocated() const { return allocated_; }
  // What is held by a tag (a live set, a slice, forever) rather than timed: reachable until a
  // drop moves it to a time. The rest of what reachableAt returns is timed.
  const HeapAmount& held() const { return held_; }

 private:
  static constexpr int64_t kRingBits = 14;
  static constexpr int64_t kRingSize = int64_t{1} << kRingBits;  // 17 s of ticks
  // The common case inline: a death within the ring.
  void schedule(DeathTick death, HeapAmount a) {
    const int64_t ahead = static_cast<int64_t>(death) - processed_;
    if (ahead > 0 && ahead <= kRingSize) {
      ring_[death & (kRingSize - 1)] += a;
      ringObjects_ += a.objects;
      return;
    }
    scheduleSlow(death, a);
  }
  void scheduleSlow(DeathTick death, const HeapAmount& a);
  void unschedule(DeathTick death, const HeapAmount& a);
  void pullFromFar();
  HeapAmount allocated_;
  HeapAmount held_;
  HeapAmount dead_;
  int64_t processed_ = -1;   // ticks <= processed_ have been counted dead
  int64_t ringObjects_ = 0;    // objects scheduled in the ring
  std::vector<HeapAmount> ring_;          // ticks in (processed_, processed_ + kRingSize]
  std::map<DeathTick, HeapAmount> far_;   // later ticks
};

}  // namespace gomemsim
