// Helpers shared by the scavenger policy tests: pacing and view records, and a small heap (a
// page allocator with a clock) on which a policy's requests are carried out the way the
// runtime carries them out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pagealloc/page_alloc.h"
#include "scavenger/scavenger.h"

namespace gomemsim::testing_support {

inline constexpr int64_t kMiB = int64_t{1} << 20;
// The policy tests charge releases at a fixed kernel cost (the runtime's comes from the os
// model's madviseCost) and have sysmon look 2 s after sweeping ends.
inline constexpr double kTestReleaseNsPerByte = 0.238;
inline constexpr Duration kTestSysmonDelay{2000000000};

inline ScavengerPacing pacing(int64_t goal, int64_t lastGoal, int64_t lastInUse, int64_t retained,
                              std::optional<Bytes> limit = std::nullopt, int64_t mappedReady = 0) {
  ScavengerPacing p;
  p.heapGoal = Bytes(goal);
  p.lastHeapGoal = Bytes(lastGoal);
  p.lastHeapInUse = Bytes(lastInUse);
  p.memoryLimit = limit;
  p.heapRetained = Bytes(retained);
  p.mappedReady = Bytes(mappedReady);
  return p;
}

inline ScavengerView view(int64_t retained, int64_t heapFree, int64_t mappedReady = 0, int64_t procs = 2,
                          SimTime now = SimTime()) {
  return ScavengerView{Bytes(retained), Bytes(heapFree), Bytes(mappedReady), procs, now};
}

// eager() for a span allocation that grew the heap by `growth` and covered `scav` released bytes.
inline int64_t eagerBytes(ScavengerPolicy& s, Bytes growth, Bytes scav, const ScavengerView& v,
                          std::optional<Bytes> limit) {
  return s.eager(SpanAllocation{growth, scav, Bytes(0), Bytes(kPageSize)}, v, limit).bytes.v;
}

// The Go 1.19-1.21 memory-limit goal bug (golang/go#62449) in `policy` for each Go version:
// limit x (100 - 5) until Go 1.21, limit x (1 - 5/100) from Go 1.22. With a 100 MiB limit and
// 96 MiB mapped, the fixed goal (95 MiB) is 1 MiB short; the buggy one turns the goal off
// (gcPaceScavenger: mappedReady <= memoryLimitGoal), so the worker is never woken.
inline void expectMemoryLimitGoalBugFollowsTheGoVersion(const std::string& policy,
                                                        const std::vector<std::string>& goVersions) {
  for (const std::string& go : goVersions) {
    SCOPED_TRACE(go);
    auto s = makeScavenger(policy, {}, &goRelease(go));
    s->paced(pacing(4 * kMiB, 0, 0, 0, Bytes(100 * kMiB), 96 * kMiB));
    s->sweepDone(SimTime(0), kTestSysmonDelay);
    const bool fixed = go == "1.22";
    ASSERT_EQ(s->nextWake().has_value(), fixed);
    if (fixed) {
      EXPECT_EQ(s->runBatch(*s->nextWake(), view(96 * kMiB, 50 * kMiB, 96 * kMiB)).bytes.v, kMiB);
    }
  }
}

// A page heap with a clock: pages are allocated and freed by hand, and a policy's requests
// are released from it as the runtime would (sim/runtime: releasePages).
struct SmallHeap {
  SimTime now;
  PageAllocator pages;
  explicit SmallHeap(Pages size, bool freeTimes = true) {
    if (freeTimes) pages.trackFreeTimes(&now);
    pages.grow(size);
  }
  // Allocates n pages (first fit) and returns the first page.
  int64_t alloc(int64_t n) { return pages.alloc(Pages(n))->base; }
  void freeAt(SimTime t, int64_t base, int64_t n) {
    now = t;
    pages.free(base, Pages(n));
  }
  ScavengerView view(int64_t procs = 2) const {
    const Bytes free = toBytes(pages.freeRetained());
    return ScavengerView{toBytes(pages.inUse()) + free, free, toBytes(pages.inUse()) + free, procs, now};
  }
  // Releases what `r` asks for (in quanta, as Runtime::releaseInQuanta, when it has one);
  // returns the pages released.
  int64_t release(const ScavengeRequest& r) {
    if (r.quantum.v == 0) return pages.scavenge(pagesFor(r.bytes), r.select, [](PageRun) {}).v;
    int64_t got = 0;
    while (got * kPageSize < r.bytes.v && costOf(got).v < r.minWork.v) {
      const int64_t n = pages.scavenge(pagesFor(r.quantum), r.select, [](PageRun) {}).v;
      got += n;
      if (n * kPageSize < r.quantum.v) break;
    }
    return got;
  }
  static Duration costOf(int64_t releasedPages) {
    return Duration(static_cast<int64_t>(static_cast<double>(releasedPages * kPageSize) * kTestReleaseNsPerByte));
  }
  // Runs the policy's background worker (or sysmon) until simulated time `until`, as
  // Runtime::runScavenger does; returns the pages released.
  int64_t runWorkerUntil(ScavengerPolicy& s, SimTime until, const std::function<void(SimTime, int64_t)>& onBatch = {}) {
    int64_t total = 0;
    while (s.nextWake() && *s.nextWake() <= until) {
      now = *s.nextWake();
      const ScavengeRequest r = s.runBatch(now, view());
      if (r.bytes.v == 0) {
        if (onBatch) onBatch(now, 0);
        continue;
      }
      const int64_t got = release(r);
      total += got;
      if (onBatch) onBatch(now, got);
      const Duration cpu = costOf(got);
      s.worked(now + cpu, toBytes(Pages(got)), cpu, view());
    }
    now = until;
    return total;
  }
};

}  // namespace gomemsim::testing_support
