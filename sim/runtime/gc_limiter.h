// gc_limiter: the GC CPU limiter (Go 1.19+ mgclimit.go, gcCPULimiterState).
//
// Models: a leaky bucket of CPU time with capacity GOMAXPROCS x 1 s (capacityPerProc = 1e9 ns,
// resetCapacity). Each update covers the window since the last one: total = window x
// GOMAXPROCS; GC time = assist time (mark assists and allocation-time "scavenge assists",
// limiterEventMarkAssist/ScavengeAssist) + 25 % of total while the mark phase is on
// (gcBackgroundUtilization, not the dedicated workers' measured time); the idle time of Ps on
// the idle list and of idle mark workers (limiterEventIdle/IdleMarkWork) is taken out of the
// total after the GC time is computed; mutator time = total - idle - GC time. accumulate()
// adds GC - mutator time: the bucket fills while GC uses more than half of the non-idle CPU
// and drains otherwise, never below 0; when a fill reaches the capacity the limiter is
// enabled (the excess counts as overflow) and it turns off at the first change that does not
// fill it. A GC phase change (startGCTransition/finishGCTransition around each STW) flushes the
// window and counts the stop-the-world time as GC time on every P.
// While enabled (limiting()), Go 1.19 skips mark assists (mgcmark.go gcAssistAlloc returns
// at once; gcDrainN backs out) and the memory-limit part of allocation-time scavenging
// (mheap.go allocSpan; the scavenge loop backs out as soon as it turns on). Dedicated,
// fractional and idle mark workers are not limited, nor the background scavenger.
// Time is in integer nanoseconds, as in Go; the simulator has no STW clock time, so a
// transition charges the fixed STW cost (kStwNs / 2 per transition) without moving the clock.
// Does not model: the 10 ms update period (the runtime updates at every time step), the
// limiter's lock and races, GOMAXPROCS changes.
#pragma once

#include <cstdint>

namespace gomemsim {

class GcCpuLimiter {
 public:
  static constexpr int64_t kCapacityPerProc = 1000000000;  // mgclimit.go: capacityPerProc

  GcCpuLimiter(int64_t nprocs, int64_t now) : nprocs_(nprocs), capacity_(static_cast<uint64_t>(nprocs) * kCapacityPerProc), lastUpdate_(now) {}

  bool limiting() const { return enabled_; }
  uint64_t fill() const { return fill_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t overflow() const { return overflow_; }
  bool gcEnabled() const { return gcEnabled_; }
  int64_t lastUpdate() const { return lastUpdate_; }
  // The GC cycle during which the limiter was last enabled (numgc + 1 at that time; 0 = never),
  // /gc/limiter/last-enabled:gc-cycle.
  int64_t lastEnabledCycle() const { return lastEnabledCycle_; }

  // Assist and idle time since the last update (addAssistTime / addIdleTime, and the
  // in-flight events updateLocked consumes).
  void addAssistTime(int64_t ns) { assistPool_ += ns; }
  void addIdleTime(int64_t ns) { idlePool_ += ns; }

  // updateLocked: account the window (lastUpdate, now]. numGc = completed cycles so far.
  void update(int64_t now, int64_t numGc);
  // startGCTransition: flush the window up to now, then the GC is (enableGc) or is not marking.
  void startGcTransition(bool enableGc, int64_t now, int64_t numGc);
  // finishGCTransition: the world was stopped since the last update; that time on every P is GC.
  void finishGcTransition(int64_t now, int64_t numGc);
  // Both around a stop-the-world of stwNs at simulated time `now` (the simulated clock does not
  // move during it): the pause is charged as GC time and the next window starts at `now`.
  void transition(bool enableGc, int64_t now, int64_t stwNs, int64_t numGc);
  // accumulate: the bucket itself.
  void accumulate(int64_t mutatorTime, int64_t gcTime, int64_t numGc);

 private:
  int64_t nprocs_;
  uint64_t capacity_;
  uint64_t fill_ = 0;
  uint64_t overflow_ = 0;
  bool enabled_ = false;
  bool gcEnabled_ = false;
  int64_t lastUpdate_;
  int64_t assistPool_ = 0, idlePool_ = 0;
  int64_t lastEnabledCycle_ = 0;
};

}  // namespace gomemsim
