#include "runtime/gc_limiter.h"

#include "pacer/pacer.h"

namespace gomemsim {

void GcCpuLimiter::update(int64_t now, int64_t numGc) {
  // mgclimit.go updateLocked.
  if (now < lastUpdate_) return;
  int64_t windowTotalTime = (now - lastUpdate_) * nprocs_;
  lastUpdate_ = now;
  const int64_t assistTime = assistPool_;
  const int64_t idleTime = idlePool_;
  assistPool_ = idlePool_ = 0;
  int64_t windowGcTime = assistTime;
  if (gcEnabled_) windowGcTime += static_cast<int64_t>(static_cast<double>(windowTotalTime) * kGcBackgroundUtilization);
  windowTotalTime -= idleTime;
  accumulate(windowTotalTime - windowGcTime, windowGcTime, numGc);
}

void GcCpuLimiter::startGcTransition(bool enableGc, int64_t now, int64_t numGc) {
  update(now, numGc);
  gcEnabled_ = enableGc;
}

void GcCpuLimiter::finishGcTransition(int64_t now, int64_t numGc) {
  if (now >= lastUpdate_) accumulate(0, (now - lastUpdate_) * nprocs_, numGc);
  lastUpdate_ = now;
}

void GcCpuLimiter::transition(bool enableGc, int64_t now, int64_t stwNs, int64_t numGc) {
  startGcTransition(enableGc, now, numGc);
  accumulate(0, stwNs * nprocs_, numGc);  // finishGCTransition's charge, without the clock moving
}

void GcCpuLimiter::accumulate(int64_t mutatorTime, int64_t gcTime, int64_t numGc) {
  // mgclimit.go accumulate, line for line.
  const uint64_t headroom = capacity_ - fill_;
  const bool enabled = headroom == 0;
  const int64_t change = gcTime - mutatorTime;
  if (change > 0 && headroom <= static_cast<uint64_t>(change)) {
    overflow_ += static_cast<uint64_t>(change) - headroom;
    fill_ = capacity_;
    if (!enabled) {
      enabled_ = true;
      lastEnabledCycle_ = numGc + 1;
    }
    return;
  }
  if (change < 0 && fill_ <= static_cast<uint64_t>(-change)) {
    fill_ = 0;
  } else {
    fill_ -= static_cast<uint64_t>(-change);  // (unsigned wrap-around adds a positive change)
  }
  if (change != 0 && enabled) enabled_ = false;
}

}  // namespace gomemsim
