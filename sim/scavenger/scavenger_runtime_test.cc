// The contract every registered scavenger policy keeps inside the assembled runtime (one test
// body, parameterised over the registry and the Go versions whose quirks change a policy):
// no in-use page is ever released, released memory is free memory, the accounting identities
// hold on every snapshot, debug.FreeOSMemory releases everything free whatever the policy, and
// the same run gives the same numbers. Also: a policy parameter set in RuntimeConfig reaches
// the policy (a background scavenger that only releases pages idle for over 5 minutes).
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "scavenger/scavenger.h"

namespace gomemsim {
namespace {

constexpr DeathTick kHeld = kTagBase + 1;

struct PolicyRun {
  std::string policy;
  std::string go;
};
void PrintTo(const PolicyRun& p, std::ostream* os) { *os << p.policy << " with go " << p.go; }

std::vector<PolicyRun> everyPolicy() {
  std::vector<PolicyRun> out;
  for (const std::string& n : scavengerNames()) out.push_back({n, "1.19"});
  out.push_back({"sysmon-5min", "1.12"});      // heap-growth scavengeLargest
  out.push_back({"background-1.21", "1.22"});  // memory-limit goal fixed
  return out;
}

// Every in-use page holds fully written objects (8 KiB pointer-free objects: one per 1-page
// span in every release, where a pointerful one would carry a Go 1.22+ malloc header; 40 KiB
// large objects: 5 whole pages), so all of the in-use heap is resident unless released.
void checkSnapshot(const MemSnapshot& s, const std::string& when) {
  SCOPED_TRACE(when);
  ASSERT_EQ(s.heapSys, s.heapInuse + s.heapIdle);
  ASSERT_LE(s.heapReleased, s.heapIdle) << "released memory is free memory";
  ASSERT_LE(s.retainedFree, s.heapIdle - s.heapReleased);
  ASSERT_EQ(s.reachable + s.unsweptGarbage + s.spanFree + s.retainedFree + s.lazyFree + s.stackInuse +
                s.runtimeOverhead + s.baseline,
            s.rss);
  ASSERT_EQ(s.reachable + s.unsweptGarbage + s.spanFree, s.heapInuse) << "an in-use page was released";
}

// A fragmenting workload: kept and dropped objects interleaved, a GC, 15 minutes idle, reuse
// of the released memory, 3 more minutes, then debug.FreeOSMemory. Returns every snapshot.
std::vector<MemSnapshot> runWorkload(const PolicyRun& p, Bytes* releasedBeforeFreeOsMemory = nullptr) {
  RuntimeConfig cfg;
  cfg.scavenger = p.policy;
  cfg.release = &goRelease(p.go);
  Runtime rt(cfg);
  std::vector<MemSnapshot> out;
  const auto check = [&](const std::string& when) {
    out.push_back(rt.snapshot());
    checkSnapshot(out.back(), when);
  };
  for (int i = 0; i < 2000; ++i) {
    rt.malloc(0, KiB(8), false, i % 2 ? kHeld : kForever, KiB(8), 0);
    if (i % 20 == 0) rt.malloc(0, KiB(40), true, kHeld, KiB(40), 1);
  }
  check("built");
  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  rt.retag(kHeld, tickOf(rt.now()), 1.0);  // drop every held object
  rt.advanceTo(SimTime(Seconds(5).v), 1.0);
  rt.gc();
  check("after runtime.GC");
  for (int step = 0; step < 90; ++step) {
    rt.advanceTo(rt.now() + Seconds(10), 0);
    check("idle " + std::to_string(step));
  }
  for (int i = 0; i < 1000; ++i) rt.malloc(0, KiB(8), false, kForever, KiB(8), 0);
  check("reused");
  for (int step = 0; step < 18; ++step) {
    rt.advanceTo(rt.now() + Seconds(10), 0.5);
    check("after reuse " + std::to_string(step));
  }
  if (releasedBeforeFreeOsMemory) *releasedBeforeFreeOsMemory = out.back().releasedBackground + out.back().releasedEager;
  rt.freeOSMemory();
  check("after FreeOSMemory");
  return out;
}

class EveryPolicyInTheRuntime : public ::testing::TestWithParam<PolicyRun> {};

TEST_P(EveryPolicyInTheRuntime, KeepsInUsePagesAndTheIdentitiesAndFreeOsMemoryReleasesAllFree) {
  Bytes released;
  const std::vector<MemSnapshot> snaps = runWorkload(GetParam(), &released);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const MemSnapshot& last = snaps.back();
  EXPECT_EQ(last.heapReleased, last.heapIdle) << "FreeOSMemory: every free page released";
  EXPECT_EQ(last.retainedFree.v, 0);
  EXPECT_GT(last.releasedForced.v + released.v, 0);
  // 15 idle minutes are enough for every policy but none to return something by itself.
  if (GetParam().policy == "none") EXPECT_EQ(released.v, 0);
  else EXPECT_GT(released.v, 0);
}

TEST_P(EveryPolicyInTheRuntime, SameRunSameNumbers) {
  const std::vector<MemSnapshot> a = runWorkload(GetParam());
  const std::vector<MemSnapshot> b = runWorkload(GetParam());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rss, b[i].rss) << i;
    EXPECT_EQ(a[i].heapReleased, b[i].heapReleased) << i;
    EXPECT_EQ(a[i].releasedBackground, b[i].releasedBackground) << i;
    EXPECT_EQ(a[i].timeS, b[i].timeS) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryPolicyInTheRuntime, ::testing::ValuesIn(everyPolicy()),
                         [](const ::testing::TestParamInfo<PolicyRun>& info) {
                           std::string n = info.param.policy + "_go" + info.param.go;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// 16 MiB dropped and freed by runtime.GC at ~1 s; sysmon's forced GC every 2 minutes after.
// Returns when heap_released first grew, in seconds (-1 if never within 10 minutes).
double firstReleaseAfterFree(const ScavengerParams& params) {
  RuntimeConfig cfg;
  cfg.scavenger = "background-1.19";
  cfg.scavengerParams = params;
  Runtime rt(cfg);
  for (int i = 0; i < 2048; ++i) rt.malloc(0, KiB(8), true, kHeld, KiB(8), 0);
  rt.advanceTo(SimTime(Seconds(1).v), 1.0);
  rt.retag(kHeld, tickOf(rt.now()), 1.0);
  rt.gc();
  const Bytes before = rt.snapshot().heapReleased;
  for (int s = 2; s <= 600; ++s) {
    rt.advanceTo(SimTime(Seconds(s).v), 0);
    if (rt.snapshot().heapReleased > before) return s;
  }
  return -1;
}

TEST(ScavengerParamsInTheRuntime, IdleThresholdHoldsFreedPagesForFiveMinutes) {
  EXPECT_LE(firstReleaseAfterFree({}), 2) << "Go 1.19: when sysmon next looks after sweeping ends";
  ScavengerParams p;
  p.idleThreshold = Seconds(300);
  // Woken at each GC's sweep end; the forced GCs at ~121, 241, 361 s: the pages qualify at the
  // third.
  const double t = firstReleaseAfterFree(p);
  EXPECT_GT(t, 301);
  EXPECT_LE(t, 365);
}

}  // namespace
}  // namespace gomemsim
