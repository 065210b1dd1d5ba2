// Scenario-level tests: every file in scenarios/ keeps the runtime's accounting identities on
// every sample and is deterministic; the seed, steady-service, burst-then-idle and fragmentation
// scenarios show the behaviour the real Go 1.19 runtime shows (tests/fidelity/go1.19.8 keeps such runs).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit_test_support.h"
#include "cli/cli_test_support.h"
#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

using cli_testing::CmdResult;
using cli_testing::readFile;
using cli_testing::sh;

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/scenarios"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

SimResult runFile(const std::string& path) {
  const Scenario s = loadScenario(path);
  Simulation sim(s);
  return sim.run();
}

double mib(Bytes b) { return toMiB(b); }

class EveryScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScenario, AccountingIdentitiesHoldOnEverySample) {
  const Scenario s = loadScenario(GetParam());
  // Every sample's accounting against counts kept apart from it: the page allocator's and the
  // OS model's bitmaps and the spans, recounted (Runtime::audit).
  const SimResult r = audit_testing::runAudited(s);
  // With transparent huge pages always on, a fault brings a whole 2 MiB region in, including
  // pages the runtime counts as released (fresh growth is released in Go 1.13+): the kernel's
  // bloat that thp.yaml shows. Then the resident heap is bounded by the mapped heap only.
  const bool thpAlways = s.machine.thp == "always";
  ASSERT_FALSE(r.rows.empty());
  int64_t lastGc = 0;
  CpuStats lastCpu;
  for (const TraceRow& row : r.rows) {
    const MemSnapshot& m = row.mem;
    SCOPED_TRACE("t=" + std::to_string(m.timeS) + " step=" + row.step);
    ASSERT_LE(m.heapReleased, m.heapIdle);
    ASSERT_LE(m.heapAlloc, m.heapInuse);
    // RSS is at most what is mapped (heap, stacks, metadata) plus the binary and what the
    // runtime maps outside MemStats.Sys (the arena index).
    ASSERT_LE(m.rss, m.sys + m.baseline + m.outsideSys);
    // What is resident of the heap cannot exceed the heap that is not released, plus LazyFree.
    ASSERT_LE(m.reachable + m.unsweptGarbage + m.spanFree + m.retainedFree,
              thpAlways ? m.heapSys : m.heapSys - m.heapReleased);
    ASSERT_GE(m.numGc, lastGc);
    ASSERT_GE(m.gcCpuFraction, 0.0);
    ASSERT_LE(m.gcCpuFraction, 1.0);
    lastGc = m.numGc;
    // /cpu/classes (cpu_stats.h): no class below zero, user time (the residual) included; each
    // only grows; the total is GOMAXPROCS x (the time up to the last mark termination + pauses).
    const CpuStats& c = m.cpu;
    for (const double ns : {c.gcAssistNs, c.gcDedicatedNs, c.gcIdleNs, c.gcPauseNs, c.scavengeAssistNs, c.scavengeBgNs,
                            c.idleNs, c.userNs()})
      ASSERT_GE(ns, 0.0) << "a CPU class below zero";
    for (const auto& [now, before] : {std::pair{c.totalNs, lastCpu.totalNs}, {c.idleNs, lastCpu.idleNs},
                                       {c.gcTotalNs(), lastCpu.gcTotalNs()}, {c.scavengeTotalNs(), lastCpu.scavengeTotalNs()},
                                       {c.userNs(), lastCpu.userNs()}})
      ASSERT_GE(now, before - 1) << "a CPU class went down by " << before - now << " ns (1 ns allowed: double sums)";
    ASSERT_LE(c.totalNs, static_cast<double>(m.gomaxprocs) * (m.timeS * 1e9 + static_cast<double>(m.pauseTotalNs)) + 1);
    lastCpu = c;
  }
}

TEST_P(EveryScenario, SameSeedGivesIdenticalOutput) {
  const Scenario s = loadScenario(GetParam());
  Simulation a(s), b(s);
  const SimResult ra = a.run(), rb = b.run();
  EXPECT_EQ(traceCsv(ra), traceCsv(rb));
  EXPECT_EQ(ra.gctrace, rb.gctrace);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EveryScenario, ::testing::ValuesIn(scenarioFiles()),
                         [](const auto& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

const TraceRow& lastRowOfStep(const SimResult& r, const std::string& step) {
  const TraceRow* last = nullptr;
  for (const auto& row : r.rows) if (row.step == step) last = &row;
  if (!last) throw std::runtime_error("no sample for step " + step);
  return *last;
}

TEST(Seed10gb, RssStaysAfterGcAndFallsToMetadataFloorAfterFreeOsMemory) {
  const SimResult r = runFile(kRoot + "/scenarios/seed-10gb.yaml");
  const Summary sum = summarize(r);
  const MemSnapshot& afterAppend = lastRowOfStep(r, "append:s").mem;
  const MemSnapshot& afterGc = lastRowOfStep(r, "gc").mem;
  const MemSnapshot& afterFree = lastRowOfStep(r, "free_os_memory").mem;
  const MemSnapshot& end = r.rows.back().mem;
  // The final slice: 100 x 100 MiB = 10000 MiB of length in a larger capacity.
  const double finalSlice = 10000;
  EXPECT_GE(mib(afterAppend.reachable), finalSlice);
  // Right after runtime.GC(): nothing reachable, the published profile near zero, RSS still high.
  EXPECT_LT(mib(afterGc.pprofInuse), 10);
  EXPECT_LT(mib(afterGc.heapAlloc), 10);
  EXPECT_GT(mib(afterGc.rss), 0.9 * mib(afterAppend.rss));
  // Peak 3-4x the final slice (old growslice buffers are resident garbage).
  EXPECT_GT(mib(sum.peak.rss), 3.0 * finalSlice);
  EXPECT_LT(mib(sum.peak.rss), 4.5 * finalSlice);
  // After FreeOSMemory: the floor is the GC metadata (~HeapSys/32 heap bitmap in 1.19) plus
  // the baseline, and it stays there.
  const double floor = mib(afterFree.heapSys) / 32;
  EXPECT_GT(mib(afterFree.rss), floor);
  EXPECT_LT(mib(afterFree.rss), floor * 1.25 + 30);
  EXPECT_NEAR(mib(end.rss), mib(afterFree.rss), 2);
}

TEST(SteadyService, RssSettlesFlatNearTheHeapGoal) {
  const SimResult r = runFile(kRoot + "/scenarios/steady-service.yaml");
  double lo = 1e18, hi = 0, goal = 0;
  for (const auto& row : r.rows) {
    if (row.mem.timeS < 30) continue;
    lo = std::min(lo, mib(row.mem.rss));
    hi = std::max(hi, mib(row.mem.rss));
    goal = std::max(goal, mib(row.mem.heapGoal));
  }
  EXPECT_LT(hi - lo, 0.05 * hi) << "rss not flat: " << lo << ".." << hi;
  // Real Go 1.19: RSS ~ heap goal + 25-50 MiB (tests/fidelity/go1.19.8/steady-service).
  EXPECT_GT(hi, goal);
  EXPECT_LT(hi, goal + 100);
}

TEST(BurstThenIdle, DropStartsNoGcAndTheForcedGcFreesTwoMinutesLater) {
  const SimResult r = runFile(kRoot + "/scenarios/burst-then-idle.yaml");
  const MemSnapshot& atDrop = lastRowOfStep(r, "drop:burst").mem;
  int64_t gcsIn110s = -1, gcsBy125s = -1;
  double rssAt110 = 0, rssEnd = mib(r.rows.back().mem.rss);
  for (const auto& row : r.rows) {
    if (row.mem.timeS <= atDrop.timeS + 110) { gcsIn110s = row.mem.numGc; rssAt110 = mib(row.mem.rss); }
    if (row.mem.timeS <= atDrop.timeS + 125) gcsBy125s = row.mem.numGc;
  }
  EXPECT_EQ(gcsIn110s, atDrop.numGc) << "dropping references started a GC";
  EXPECT_GT(gcsBy125s, atDrop.numGc) << "sysmon's forced GC did not come";
  EXPECT_GT(rssAt110, 0.9 * mib(atDrop.rss));
  EXPECT_LT(rssEnd, 0.25 * mib(atDrop.rss)) << "the scavenger did not return the freed memory";
}

TEST(Fragmentation, SurvivorsPinTheSpans) {
  const SimResult r = runFile(kRoot + "/scenarios/fragmentation.yaml");
  const Summary sum = summarize(r);
  const MemSnapshot& end = r.rows.back().mem;
  const MemSnapshot& built = lastRowOfStep(r, "live_set:small").mem;
  const MemSnapshot& afterGc = lastRowOfStep(r, "gc").mem;
  // The set's reference chunks (8 B per object, engine/simulation.h: 22978 chunks of 8192 B,
  // 179.5 MiB for 23.4 M objects) are all still reachable: the drop nils 90 % of the pointers
  // in them and frees none. 10 % of the objects survive.
  const double chunks = mib(Bytes((1'500'000'000 / 64 + kRefChunkLen - 1) / kRefChunkLen * 8192));
  EXPECT_LT(mib(afterGc.reachable) - chunks, 0.11 * (mib(built.reachable) - chunks));
  EXPECT_GT(mib(afterGc.reachable) - chunks, 0.09 * (mib(built.reachable) - chunks));
  EXPECT_GT(mib(end.rss), 0.85 * mib(sum.peak.rss));
}

// --- scavenger policies on one scenario (scenarios/scavenger-policies.yaml) -------------
// A 2 GB live set, runtime.GC, the drop, 17 minutes idle. Sysmon's forced GC two minutes after
// the runtime.GC frees the 2 GB; then each policy returns it on its own schedule.

struct ReleaseTimeline {
  double dropAt = 0;        // the drop step's sample
  double freeingGcAt = -1;  // start of the first GC after the drop (gctrace "@...s")
  double nextGcAt = -1;     // the GC after that one
  double firstRelease = -1; // first sample whose heap_released is above the drop's
  double mostReleased = -1; // first sample with 99 % of the final heap_released
  Bytes releasedAtDrop, releasedEnd, peakRss, rssEnd;
};

// "gc 12 @130.019s ..." -> {12, 130.019}
std::pair<int64_t, double> gcLine(const std::string& line) {
  int64_t n = -1;
  double at = -1;
  if (std::sscanf(line.c_str(), "gc %lld @%lfs", reinterpret_cast<long long*>(&n), &at) != 2) return {-1, -1};
  return {n, at};
}

ReleaseTimeline timelineOf(const SimResult& r) {
  ReleaseTimeline t;
  const MemSnapshot& drop = lastRowOfStep(r, "drop:burst").mem;
  t.dropAt = drop.timeS;
  t.releasedAtDrop = drop.heapReleased;
  t.releasedEnd = r.rows.back().mem.heapReleased;
  t.rssEnd = r.rows.back().mem.rss;
  for (const std::string& line : r.gctrace) {
    const auto [n, at] = gcLine(line);
    if (n == drop.numGc + 1) t.freeingGcAt = at;
    if (n == drop.numGc + 2) t.nextGcAt = at;
  }
  for (const TraceRow& row : r.rows) {
    const MemSnapshot& m = row.mem;
    t.peakRss = std::max(t.peakRss, m.rss);
    if (m.timeS <= t.dropAt) continue;
    if (t.firstRelease < 0 && m.heapReleased > t.releasedAtDrop) t.firstRelease = m.timeS;
    if (t.mostReleased < 0 && m.heapReleased.v >= t.releasedAtDrop.v + (t.releasedEnd - t.releasedAtDrop).v * 99 / 100)
      t.mostReleased = m.timeS;
  }
  return t;
}

SimResult runScavengerPolicies(const std::string& policy) {
  Scenario s = loadScenario(kRoot + "/scenarios/scavenger-policies.yaml");
  applySet(s, "scavenger=" + policy);
  Simulation sim(s);
  return sim.run();
}

// The retained heap (HeapSys - HeapReleased) on the last sample before time t.
Bytes retainedBefore(const SimResult& r, double t) {
  Bytes out;
  for (const TraceRow& row : r.rows)
    if (row.mem.timeS < t) out = row.mem.heapSys - row.mem.heapReleased;
  return out;
}

TEST(ScavengerPolicyScenario, NoneNeverLowersRss) {
  const SimResult r = runScavengerPolicies("none");
  ASSERT_EQ(r.scavenger, "none");
  for (size_t i = 1; i < r.rows.size(); ++i)
    ASSERT_GE(r.rows[i].mem.rss, r.rows[i - 1].mem.rss) << "t=" << r.rows[i].mem.timeS;
  const ReleaseTimeline t = timelineOf(r);
  EXPECT_GT(t.freeingGcAt, 0) << "the forced GC came";
  EXPECT_LT(t.firstRelease, 0);
  EXPECT_GT(mib(t.rssEnd), 0.95 * mib(t.peakRss));
}

TEST(ScavengerPolicyScenario, Sysmon5MinReleasesAtTheFirstPassFiveMinutesAfterTheFreeingGc) {
  const SimResult r = runScavengerPolicies("sysmon-5min");
  const ReleaseTimeline t = timelineOf(r);
  ASSERT_GT(t.freeingGcAt, t.dropAt + 110) << "sysmon's forced GC, ~2 min after runtime.GC";
  ASSERT_LT(t.freeingGcAt, t.dropAt + 125);
  // Passes at k x 150 s from the start; the spans (freed by that GC's sweep, just after it)
  // qualify at the first pass more than 300 s later.
  const double pass = 150 * (std::floor((t.freeingGcAt + 300) / 150) + 1);
  EXPECT_GE(t.firstRelease, pass);
  EXPECT_LE(t.firstRelease, pass + 1) << "the pass at " << pass << " s";
  EXPECT_GT(t.firstRelease - t.freeingGcAt, 300);
  EXPECT_LE(t.firstRelease - t.freeingGcAt, 451);
  EXPECT_EQ(t.mostReleased, t.firstRelease) << "one pass releases every qualifying span";
  EXPECT_GT(mib(t.releasedEnd - t.releasedAtDrop), 1900);
  EXPECT_LT(mib(t.rssEnd), 0.06 * mib(t.peakRss));
}

TEST(ScavengerPolicyScenario, BackgroundPoliciesStartWithinSecondsOfTheFreeingGcAndStopNearTheGoal) {
  // The burst's free runs are released a 2 MiB huge page at a time (findScavengeCandidate's
  // widening), each ~129 us of kernel time for its 512 resident 4 KiB pages (os madviseCost).
  // background-1.19 works 1 % of 2 CPUs once its controller settles, ~300 MiB/s: ~7 s for
  // 2 GB; background (Go 1.14-1.17) 1 % of one CPU, ~155 MiB/s: ~13 s.
  for (const auto& [policy, maxSeconds] : std::vector<std::pair<std::string, double>>{{"background-1.19", 14},
                                                                                       {"background", 26}}) {
    SCOPED_TRACE(policy);
    const SimResult r = runScavengerPolicies(policy);
    const ReleaseTimeline t = timelineOf(r);
    ASSERT_GT(t.freeingGcAt, t.dropAt + 110);
    EXPECT_GT(t.firstRelease, t.freeingGcAt);
    EXPECT_LE(t.firstRelease - t.freeingGcAt, 2) << "woken when sysmon next looks after sweeping ends";
    EXPECT_LE(t.mostReleased - t.firstRelease, maxSeconds);
    EXPECT_GE(t.mostReleased - t.firstRelease, maxSeconds / 4) << "paced, not all at once";
    // Before the next GC re-paces it, the retained heap is down to about the goal: the in-use
    // heap at mark termination (2 GB) scaled by heapGoal/lastHeapGoal (4 MiB / 3.8 GB), + 10 %.
    const Bytes retained = retainedBefore(r, t.nextGcAt);
    EXPECT_LT(mib(retained), 4.0) << "retained " << mib(retained) << " MiB";
    EXPECT_GT(mib(retained), 1.0);
    EXPECT_GT(mib(t.releasedEnd - t.releasedAtDrop), 1900);
    EXPECT_LT(mib(t.rssEnd), 0.06 * mib(t.peakRss));
  }
}

TEST(ScavengerPolicyScenario, Background121WaitsOneMoreGcCycleForTheFreedChunks) {
  // Go 1.21+: chunks that were full at the freeing GC's mark termination are dense for that
  // cycle, and searchAddrBg only rises at the next one: release starts after the next GC.
  const SimResult r = runScavengerPolicies("background-1.21");
  const ReleaseTimeline t = timelineOf(r);
  ASSERT_GT(t.nextGcAt, t.freeingGcAt + 110);
  EXPECT_GT(t.firstRelease, t.nextGcAt);
  EXPECT_LE(t.firstRelease - t.nextGcAt, 5);
  EXPECT_LE(t.mostReleased - t.firstRelease, 30);
  EXPECT_LT(mib(t.rssEnd), 0.06 * mib(t.peakRss));
}

TEST(ScavengerPolicyScenario, ParamsAreReadCheckedAgainstThePolicyAndSettable) {
  Scenario s = parseScenario(
      "about: x\nruntime:\n  scavenger: sysmon-5min\n  scavenger_params: {idle_threshold: 2m, period: 30s}\nsteps: [gc]\n",
      "p.yaml");
  EXPECT_EQ(s.runtime.scavenger_params.idleThreshold, Seconds(120));
  EXPECT_EQ(s.runtime.scavenger_params.period, Seconds(30));
  applySet(s, "runtime.scavenger_params.idle_threshold=5m");
  EXPECT_EQ(s.runtime.scavenger_params.idleThreshold, Seconds(300));
  s = parseScenario(
      "about: x\nruntime: {go: \"1.16\", scavenger_params: {retain_extra: 25%, cpu_fraction: 1.5%, idle_threshold: 0}}\n"
      "steps: [gc]\n",
      "p.yaml");
  EXPECT_DOUBLE_EQ(*s.runtime.scavenger_params.retainExtra, 0.25);
  EXPECT_DOUBLE_EQ(*s.runtime.scavenger_params.cpuFraction, 0.015);
  EXPECT_EQ(s.runtime.scavenger_params.idleThreshold, Duration(0));

  struct Bad {
    std::string yaml;
    int line;
    std::vector<std::string> mentions;
  };
  const std::vector<Bad> bad = {
      {"about: x\nruntime:\n  scavenger: none\n  scavenger_params:\n    idle_threshold: 5m\nsteps: [gc]\n", 5,
       {"idle_threshold", "'none'", "honours: none"}},
      {"about: x\nruntime:\n  go: \"1.19\"\n  scavenger_params: {period: 1m}\nsteps: [gc]\n", 4,
       {"'background-1.19'", "period", "auto", "go 1.19"}},
      {"about: x\nruntime:\n  scavenger_params: {idle: 1m}\nsteps: [gc]\n", 3,
       {"unknown key 'runtime.scavenger_params.idle'", "idle_threshold, period, retain_extra, cpu_fraction"}},
      {"about: x\nruntime:\n  scavenger_params: {retain_extra: 10}\nsteps: [gc]\n", 3, {"percentage such as 10%"}},
      {"about: x\nruntime:\n  scavenger_params: {cpu_fraction: 0%}\nsteps: [gc]\n", 3, {"more than 0%"}},
      {"about: x\nruntime:\n  scavenger: sysmon-5min\n  scavenger_params: {period: -1s}\nsteps: [gc]\n", 4,
       {"period", "negative"}},
      {"about: x\nruntime:\n  scavenger: go119\n  scavenger_params: {period: 1m}\nsteps: [gc]\n", 3,
       {"unknown scavenger policy 'go119'", "sysmon-5min"}},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.yaml);
    try {
      parseScenario(b.yaml, "bad.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.line(), b.line) << e.what();
      for (const std::string& m : b.mentions) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
    }
  }
  // --set: a policy that ignores a parameter already set is an error naming it.
  Scenario t = parseScenario("about: x\nruntime: {scavenger: background, scavenger_params: {retain_extra: 5%}}\nsteps: [gc]\n", "p.yaml");
  try {
    applySet(t, "scavenger=sysmon-5min");
    ADD_FAILURE() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), "--set");
    EXPECT_NE(std::string(e.what()).find("'sysmon-5min' does not use retain_extra"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.runtime.scavenger, "background") << "a rejected --set changes nothing";
  EXPECT_THROW(applySet(t, "runtime.scavenger_params.cpu_fraction=200%"), ScenarioError);
  applySet(t, "runtime.scavenger_params.cpu_fraction=2%");
  EXPECT_DOUBLE_EQ(*t.runtime.scavenger_params.cpuFraction, 0.02);
}

// --- the machine: MADV_FREE under memory pressure, cgroup OOM kills, GOMEMLIMIT, THP ---------


SimResult runWith(const std::string& file, const std::vector<std::string>& sets) {
  Scenario s = loadScenario(kRoot + "/scenarios/" + file);
  for (const std::string& kv : sets) applySet(s, kv);
  Simulation sim(s);
  return sim.run();
}

const TraceRow& firstRowOfStep(const SimResult& r, const std::string& prefix) {
  for (const auto& row : r.rows)
    if (row.step.rfind(prefix, 0) == 0) return row;
  throw std::runtime_error("no sample for step " + prefix);
}

const TraceRow& rowBefore(const SimResult& r, const MemSnapshot& m) {
  for (size_t i = 1; i < r.rows.size(); ++i)
    if (&r.rows[i].mem == &m) return r.rows[i - 1];
  throw std::runtime_error("no row before");
}

bool hasLine(const SimResult& r, const std::string& part) {
  for (const std::string& l : r.gctrace)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

TEST(MadvFreePressure, LazyFreeStaysInRssUntilAnotherProgramNeedsTheMemory) {
  const SimResult r = runFile(kRoot + "/scenarios/madv-free-pressure.yaml");
  ASSERT_EQ(r.madvise, "free") << "go 1.15's default";
  const Summary sum = summarize(r);
  const MemSnapshot& pressed = firstRowOfStep(r, "other_process:batch-job=3GiB").mem;
  const MemSnapshot& released = rowBefore(r, pressed).mem;  // the scavenger is done
  const MemSnapshot& end = r.rows.back().mem;
  // The scavenger released the 2 GB, but MADV_FREE left every page in RSS.
  EXPECT_GT(mib(released.heapReleased), 1800);
  EXPECT_GT(mib(released.lazyFree), 1800);
  EXPECT_GT(mib(released.rss), 0.99 * mib(sum.peak.rss));
  EXPECT_LT(mib(released.rss - released.lazyFree), 150) << "what an autoscaler should look at";
  EXPECT_EQ(released.lazyFreeReclaimed.v, 0);
  // 3 GiB more on a 4 GiB machine: the kernel discards just enough LazyFree pages.
  EXPECT_EQ(pressed.otherRss, GiB(3));
  EXPECT_LE(pressed.rss + pressed.otherRss, GiB(4));
  EXPECT_GT((pressed.rss + pressed.otherRss).v, GiB(4).v - MiB(1).v);
  EXPECT_EQ((released.rss - pressed.rss).v, (released.lazyFree - pressed.lazyFree).v);
  EXPECT_EQ(pressed.lazyFreeReclaimed, released.rss - pressed.rss);
  EXPECT_EQ(pressed.heapReleased, released.heapReleased) << "the runtime does not notice";
  EXPECT_FALSE(pressed.oomKilled);
  // Reclaimed pages do not come back when the other program exits.
  EXPECT_EQ(end.otherRss.v, 0);
  EXPECT_EQ(end.rss, pressed.rss);
  // Every sample before the other program started: no reclaim at all.
  for (const TraceRow& row : r.rows) {
    if (row.mem.timeS < pressed.timeS) {
      ASSERT_EQ(row.mem.lazyFreeReclaimed.v, 0) << row.mem.timeS;
    }
  }
}

TEST(MadvFreePressure, DontNeedDropsRssAtReleaseAndLeavesNothingToReclaim) {
  for (const auto& sets : std::vector<std::vector<std::string>>{{"madvise=dontneed"},
                                                                 {"godebug=madvdontneed=1"}}) {
    SCOPED_TRACE(sets[0]);
    const SimResult r = runWith("madv-free-pressure.yaml", sets);
    ASSERT_EQ(r.madvise, "dontneed");
    const MemSnapshot& pressed = firstRowOfStep(r, "other_process:batch-job=3GiB").mem;
    const MemSnapshot& released = rowBefore(r, pressed).mem;
    EXPECT_GT(mib(released.heapReleased), 1800);
    EXPECT_LT(mib(released.rss), 0.1 * mib(summarize(r).peak.rss));
    for (const TraceRow& row : r.rows) {
      ASSERT_EQ(row.mem.lazyFree.v, 0);
    }
    EXPECT_EQ(pressed.rss, released.rss);
    EXPECT_EQ(pressed.lazyFreeReclaimed.v, 0);
  }
}

TEST(ContainerOom, KilledAtTheFirstSampleOverTheCgroupLimitWithoutGomemlimit) {
  const SimResult r = runFile(kRoot + "/scenarios/container-oom.yaml");
  const Summary sum = summarize(r);
  ASSERT_TRUE(sum.oomKilled);
  const TraceRow& last = r.rows.back();
  EXPECT_EQ(last.step, "oom_kill");
  EXPECT_TRUE(last.mem.oomCgroup);
  EXPECT_EQ(last.mem.oomLimit, GiB(2));
  EXPECT_GT(last.mem.rss, GiB(2)) << "the charge that failed";
  for (size_t i = 0; i + 1 < r.rows.size(); ++i) {
    ASSERT_LE(r.rows[i].mem.rss, GiB(2)) << "t=" << r.rows[i].mem.timeS;
    ASSERT_FALSE(r.rows[i].mem.oomKilled);
  }
  // Killed during the 60 s run, at the first sample over the limit.
  EXPECT_LT(last.mem.timeS, 60);
  EXPECT_LE(last.mem.timeS - r.rows[r.rows.size() - 2].mem.timeS, 0.25);
  // GOGC=100 lets the heap grow to twice the live heap: the goal is past the container's limit
  // while the live heap is far below it.
  EXPECT_GT(last.mem.heapGoal, GiB(2));
  EXPECT_LT(mib(last.mem.reachable), 1800);
  EXPECT_TRUE(hasLine(r, "Memory cgroup out of memory: Killed process 1000 (goprogram)"));
  EXPECT_TRUE(hasLine(r, "memory: usage "));
  EXPECT_EQ(r.gctrace.back().find("Memory cgroup out of memory"), 15u) << r.gctrace.back();
}

TEST(ContainerOom, GomemlimitAtNinetyPercentOfTheCgroupLivesLonger) {
  const SimResult plain = runFile(kRoot + "/scenarios/container-oom.yaml");
  const SimResult limited = runWith("container-oom.yaml", {"memory_limit=1.8GiB"});
  const MemSnapshot& a = plain.rows.back().mem;
  const MemSnapshot& b = limited.rows.back().mem;
  ASSERT_TRUE(a.oomKilled);
  // With the limit the heap goal stays under 1.8 GiB until the live heap itself gets there.
  for (const TraceRow& row : limited.rows) {
    if (row.mem.timeS > 5 && mib(row.mem.reachable) < 1500) {
      ASSERT_LT(mib(row.mem.heapGoal), 1.8 * 1024) << row.mem.timeS;
    }
  }
  if (b.oomKilled) {
    EXPECT_GT(b.timeS, a.timeS + 3);
    EXPECT_GT(mib(b.reachable), mib(a.reachable) + 150);
    EXPECT_GT(mib(b.reachable), 1900) << "killed only when the live heap nears the container";
    // Cycles at the limit are spaced by the sweep between them (Runtime::takeMutatorStall),
    // as real Go 1.19's at-limit runs are (tests/fidelity/go1.19.8/at-limit: ~75 ms apart).
    EXPECT_GT(b.numGc, 5 * a.numGc) << "GC worked hard first";
  }
}

TEST(MemoryLimit, GogcOffHoldsTheHeapAtTheLimitAndGcsComeFasterAsTheLiveSetGrows) {
  const SimResult r = runFile(kRoot + "/scenarios/memory-limit-death-spiral.yaml");
  const double limit = 1024;
  double firstGcAt = -1;
  for (const TraceRow& row : r.rows) {
    const MemSnapshot& m = row.mem;
    if (firstGcAt < 0 && m.numGc > 0) firstGcAt = m.timeS;
    // GOGC=off: no GC until the heap gets to the memory limit's goal.
    if (m.numGc == 0) {
      EXPECT_LT(mib(m.rss), limit + 8) << m.timeS;
    }
    // Until the GC CPU limiter first turns on, RSS is held at the limit: a long mark lets the
    // heap pass the goal by what is allocated meanwhile (the limit is soft).
    if (m.timeS >= 10 && m.gcLimiterEnabledS == 0) {
      EXPECT_GT(mib(m.rss), 0.97 * limit) << m.timeS;
      EXPECT_LT(mib(m.rss), 1.05 * limit) << m.timeS;
    }
  }
  EXPECT_GT(firstGcAt, 5);
  // GCs per second: the first 20 s after the first GC against the last 10 s.
  auto gcsIn = [&](double from, double to) {
    int64_t a = -1, b = 0;
    for (const TraceRow& row : r.rows) {
      if (a < 0 && row.mem.timeS >= from) a = row.mem.numGc;
      if (row.mem.timeS <= to) b = row.mem.numGc;
    }
    return static_cast<double>(b - a) / (to - from);
  };
  const double end = r.rows.back().mem.timeS;
  EXPECT_GT(gcsIn(end - 10, end), 3 * gcsIn(firstGcAt, firstGcAt + 20));
}

TEST(MemoryLimit, DeathSpiralRaisesGcCpuTurnsTheLimiterOnAndEndsInTheCgroupOomKill) {
  const SimResult r = runFile(kRoot + "/scenarios/memory-limit-death-spiral.yaml");
  const MemSnapshot& end = r.rows.back().mem;
  double atFirstGc = -1;
  for (const TraceRow& row : r.rows) {
    if (atFirstGc < 0 && row.mem.numGc > 0) atFirstGc = row.mem.gcCpuFraction;
  }
  ASSERT_GT(atFirstGc, 0);
  // GCCPUFraction (since the start, as Go computes it) keeps climbing.
  EXPECT_GT(end.gcCpuFraction, 5 * atFirstGc);
  EXPECT_GT(end.gcCpuFraction, 0.05);
  EXPECT_LT(end.gcCpuFraction, 0.5);
  // The limiter's bucket fills and it turns on, near the end: real Go 1.19 runs of the same
  // program without the cgroup (tests/fidelity/go1.19.8/death-spiral) enable it in the last
  // 5-7 s only, at cycles 46-63 of 55-63.
  EXPECT_EQ(end.gcLimiterFill, 1.0);
  EXPECT_GT(end.gcLimiterEnabledS, 0);
  EXPECT_GT(end.gcLimiterLastEnabledCycle, 0);
  // The limit is soft: the heap goal never falls below the live heap, and with assists off the
  // heap overshoots it, so the cgroup kills the program before the leak ends, with the live
  // heap about at the limit and under the cgroup's 1.1 GiB.
  EXPECT_EQ(r.rows.back().step, "oom_kill");
  EXPECT_TRUE(end.oomCgroup);
  EXPECT_LT(end.timeS, 90);
  EXPECT_GT(mib(end.reachable), 0.95 * 1024);
  EXPECT_LT(mib(end.reachable), 1.1 * 1024);
}

TEST(Thp, AlwaysInflatesASparseHeapAndGo119AdvisesLargeSpans) {
  struct Case {
    std::vector<std::string> sets;
    double buffersRss, buffersHuge, endHuge;  // MiB
  };
  // thp.yaml's buffers come from allocation streams (no live set, so no reference chunks between
  // them): every large span starts on a 2 MiB boundary. Under madvise, Go 1.19 advises the whole
  // huge pages inside a span (sysUsed), so each 4 MiB buffer's written first 2 MiB is a huge page.
  for (const Case& c : std::vector<Case>{
           {{}, 128, 128, 160},                                            // always
           {{"machine.thp=madvise"}, 0, 0, 32},                            // Go 1.19's MADV_HUGEPAGE
           {{"machine.thp=madvise", "go=1.21"}, 0, 0, 0},                  // no advice since 1.21.x
           {{"machine.thp=never"}, 0, 0, 0},
       }) {
    SCOPED_TRACE(c.sets.empty() ? "always" : c.sets[0] + (c.sets.size() > 1 ? " " + c.sets[1] : ""));
    const SimResult r = runWith("thp.yaml", c.sets);
    // The last row of the first step (the 1 MiB buffers), before the first idle.
    const TraceRow* afterBuffers = nullptr;
    for (const TraceRow& row : r.rows) {
      if (row.step == "idle") break;
      afterBuffers = &row;
    }
    ASSERT_NE(afterBuffers, nullptr);
    const MemSnapshot& buffers = afterBuffers->mem;
    const MemSnapshot& end = r.rows.back().mem;
    EXPECT_EQ(mib(buffers.anonHugePages), c.buffersHuge);
    EXPECT_EQ(mib(end.anonHugePages), c.endHuge);
    // The heap's resident part: 128 buffers x 16 KiB written, or whole huge pages.
    const double heapRss = mib(buffers.rss - buffers.runtimeOverhead - buffers.stackInuse - buffers.baseline);
    EXPECT_NEAR(heapRss, c.buffersRss > 0 ? c.buffersRss : 2, 0.5);
  }
}

// --- the command line ---

TEST(Cli, RunAndCompareWriteByteIdenticalOutputsAcrossProcessesAndJobs) {
  const std::string dir = cli_testing::freshTempDir("cli");
  const std::string bin = GOMEMSIM_BINARY;
  const std::string sc = kRoot + "/scenarios/burst-then-idle.yaml";
  ASSERT_EQ(sh(bin + " run " + sc + " -q --out " + dir + "/a").status, 0);
  ASSERT_EQ(sh(bin + " run " + sc + " -q --out " + dir + "/b").status, 0);
  for (const char* f : {"trace.csv", "gctrace.log", "summary.json", "report.html", "metrics.csv", "memstats.jsonl"}) {
    EXPECT_FALSE(readFile(dir + "/a/" + f).empty()) << f;
    EXPECT_EQ(readFile(dir + "/a/" + f), readFile(dir + "/b/" + f)) << f;
  }
  // compare: the same files whether its configurations run one at a time or side by side.
  ASSERT_EQ(sh(bin + " compare " + sc + " -q --vary gogc=50,100,200 --jobs 1 --out " + dir + "/j1").status, 0);
  ASSERT_EQ(sh(bin + " compare " + sc + " -q --vary gogc=50,100,200 --jobs 3 --out " + dir + "/j3").status, 0);
  for (const char* f : {"trace.csv", "compare.csv", "gctrace/index.csv", "gctrace/gogc-50.log", "gctrace/gogc-100.log",
                        "gctrace/gogc-200.log", "report.html"}) {
    EXPECT_FALSE(readFile(dir + "/j1/" + f).empty()) << f;
    EXPECT_EQ(readFile(dir + "/j1/" + f), readFile(dir + "/j3/" + f)) << f;
  }
  const CmdResult c = sh(bin + " run " + sc + " -q --seed 7 --env GOGC=50 --out " + dir + "/c");
  EXPECT_EQ(c.status, 0) << c.out;
  EXPECT_NE(readFile(dir + "/a/gctrace.log"), readFile(dir + "/c/gctrace.log"));
}

TEST(Cli, AnOomKilledRunExitsZeroAndSaysSoEverywhere) {
  const std::string dir = cli_testing::freshTempDir("oom");
  const CmdResult r = sh(std::string(GOMEMSIM_BINARY) + " run " + kRoot + "/scenarios/container-oom.yaml --out " + dir);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("OOM-KILLED at "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("memory cgroup's OOM killer"), std::string::npos) << r.out;
  const std::string json = readFile(dir + "/summary.json");
  EXPECT_NE(json.find("\"oom_kill\": {\"time_s\": "), std::string::npos) << json;
  EXPECT_NE(json.find("\"by\": \"cgroup\", \"limit\": 2147483648"), std::string::npos) << json;
  const std::string csv = readFile(dir + "/trace.csv");
  const size_t lastLine = csv.rfind('\n', csv.size() - 2);
  EXPECT_NE(csv.find(",oom_kill,", lastLine), std::string::npos) << csv.substr(lastLine);
  EXPECT_NE(csv.find("rss_minus_lazyfree"), std::string::npos);
  EXPECT_NE(readFile(dir + "/gctrace.log").find("Memory cgroup out of memory: Killed process"), std::string::npos);
}

// The default --out is reused run after run: the second run says it replaced the first's files.
TEST(Cli, ARunIntoAnEarlierRunsDirectorySaysItReplacedIt) {
  const std::string dir = cli_testing::freshTempDir("replace");
  const std::string cmd = std::string(GOMEMSIM_BINARY) + " run " + kRoot + "/scenarios/fragmentation.yaml --out " + dir;
  const CmdResult first = sh(cmd);
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_EQ(first.out.find("replacing"), std::string::npos) << first.out;
  const CmdResult second = sh(cmd);
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_NE(second.out.find("replacing an earlier run's outputs there"), std::string::npos) << second.out;
}

// Ctrl-C or SIGTERM in the middle of a long run: exit 128 + signal, and the outputs are whole
// files that say they are partial (never a half-written one, never a temporary left behind);
// compare writes nothing.
TEST(Cli, ASignalStopsTheRunLeavingCompleteFilesMarkedPartial) {
  const std::string dir = cli_testing::freshTempDir("sigterm");
  const std::string sc = dir + "/hour.yaml";
  std::ofstream(sc) << "name: hour\nabout: an hour of a busy service\nruntime: {go: \"1.19\", gogc: 100, gomaxprocs: 2}\n"
                       "sample_every: 1s\nsteps:\n  - run:\n      for: 1h\n      alloc:\n"
                       "        - {name: req, rate: 1GB/s, size: 512B, lifetime: {exponential: 100ms}}\n";
  const std::string bin = GOMEMSIM_BINARY;
  for (const int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(sig);
    const std::string out = dir + "/out" + std::to_string(sig);
    const int status = cli_testing::stopWithSignal(bin + " run " + sc + " --out " + out, dir + "/log", sig,
                                                   std::chrono::milliseconds(300));
    const std::string log = readFile(dir + "/log");
    EXPECT_EQ(status, 128 + sig) << log;
    EXPECT_NE(log.find("are complete and marked partial"), std::string::npos) << log;
    EXPECT_NE(log.find("INTERRUPTED by SIG"), std::string::npos) << log;
    for (const auto& e : std::filesystem::directory_iterator(out)) EXPECT_NE(e.path().extension(), ".tmp") << e.path();
    const std::string json = readFile(out + "/summary.json");
    EXPECT_NE(json.find("\"partial\": true"), std::string::npos) << json;
    EXPECT_EQ(json.substr(json.size() - 2), "}\n") << "summary.json is whole";
    const std::string csv = readFile(out + "/trace.csv");
    ASSERT_GT(csv.size(), 2u);
    const size_t lastLine = csv.rfind('\n', csv.size() - 2);
    EXPECT_NE(csv.find(",interrupted,", lastLine), std::string::npos) << csv.substr(lastLine);
    const std::string html = readFile(out + "/report.html");
    EXPECT_NE(html.find("Partial run: stopped by SIG"), std::string::npos);
    EXPECT_NE(html.find("</html>"), std::string::npos) << "report.html is whole";
  }
  const std::string cmpOut = dir + "/compare";
  const int status = cli_testing::stopWithSignal(bin + " compare " + sc + " --vary gogc=50,100 --out " + cmpOut,
                                                 dir + "/log", SIGTERM, std::chrono::milliseconds(300));
  EXPECT_EQ(status, 128 + SIGTERM) << readFile(dir + "/log");
  EXPECT_NE(readFile(dir + "/log").find("nothing written"), std::string::npos) << readFile(dir + "/log");
  EXPECT_FALSE(std::filesystem::exists(cmpOut));
}

TEST(Cli, BadScenariosExitTwoNamingFileAndLineAndWriteNothing) {
  const std::string dir = cli_testing::freshTempDir("bad");
  const std::string bin = GOMEMSIM_BINARY;
  struct Case { const char* text; int line; const char* expect; };
  const Case cases[] = {
      {"name: x\nabout: y\nsteps:\n  - idle: 1s\n  - colour: red\n", 5, "colour"},
      {"name: x\nabout: y\nsteps:\n  - run: {for: 1s, alloc: [{rate: 10MB/s, size: 12 parsecs, lifetime: 1s}]}\n", 4, "size"},
      {"name: x\nabout: y\nsteps:\n  - run: {for: 1s, alloc: [{rate: -5MB/s, size: 8B, lifetime: 1s}]}\n", 4, "rate"},
      {"name: x\nabout: y\nsteps: [\n  - idle: 1s\n", 0, ""},
      {"name: x\nabout: y\nwhatever: 1\nsteps:\n  - gc\n", 3, "whatever"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string file = dir + "/bad" + std::to_string(i++) + ".yaml";
    std::ofstream(file) << c.text;
    const std::string out = dir + "/out" + std::to_string(i);
    const CmdResult r = sh(bin + " run " + file + " --out " + out);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find(file + ":"), std::string::npos) << r.out;
    if (c.line > 0) {
      EXPECT_NE(r.out.find(file + ":" + std::to_string(c.line) + ":"), std::string::npos) << r.out;
    }
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(out)) << "partial output left behind";
  }
  EXPECT_EQ(sh(bin + " run " + kRoot + "/scenarios/steady-service.yaml --set nosuch=1 --out " + dir + "/o").status, 2);
  EXPECT_EQ(sh(bin + " run").status, 2);
  EXPECT_EQ(sh(bin + " frobnicate").status, 2);
}

TEST(Cli, OversizedRunsAreRefusedBeforeRunningNamingTheLimitAndItsFlag) {
  // engine/budget.h: exit 2 before any simulation (or any Go, for validate), nothing written.
  const std::string dir = cli_testing::freshTempDir("budget");
  const std::string bin = GOMEMSIM_BINARY;
  const std::string big = dir + "/big.yaml", endless = dir + "/endless.yaml", huge = dir + "/huge.yaml";
  std::ofstream(big) << "name: big\nabout: more than Go can map\nsteps:\n  - live_set: {name: a, grow_to: 300TiB, size: 64B}\n";
  std::ofstream(endless) << "name: endless\nabout: a century\nsteps:\n"
                            "  - run: {for: 100000h, alloc: [{rate: 10GB/s, size: 8B, lifetime: {exponential: 1ms}}]}\n";
  {
    std::ofstream h(huge);
    h << "name: huge\nabout: two million steps\nsteps:\n  - frobnicate: 1\n";
    for (int i = 0; i < 100000; ++i) h << "  - idle: 1ms  # a comment to make the file larger than 4 MiB\n";
  }
  struct Case { std::string args, expect; };
  const std::string steady = kRoot + "/scenarios/steady-service.yaml";
  const Case cases[] = {
      {"run " + big, "256 TiB"},
      {"run " + endless, "--max-memory"},
      {"run " + huge, "--max-scenario-size"},
      {"run " + steady + " --max-memory 1MiB", "--max-memory"},
      {"run " + steady + " --max-time 1ms", "--max-time"},
      {"run " + steady + " --max-memory lots", "--max-memory"},
      {"compare " + endless + " --vary gogc=50,100", "--max-memory"},
      {"compare " + steady + " --vary gogc=50,100 --max-time 1ms", "--max-time"},
      {"validate " + endless + " --go /nonexistent/go", "--max-memory"},
      {"validate " + huge, "--max-scenario-size"},
  };
  int i = 0;
  for (const Case& c : cases)
    cli_testing::expectRefusedWritingNothing(bin + " " + c.args, dir + "/out" + std::to_string(i++), c.expect);
  // Allowed in, the file's own error (its unknown first step) stops it.
  const CmdResult allowed = sh(bin + " run " + huge + " --max-scenario-size 64MiB --out " + dir + "/o");
  EXPECT_EQ(allowed.status, 2) << allowed.out;
  EXPECT_NE(allowed.out.find(huge + ":4:"), std::string::npos) << allowed.out;
}

TEST(Cli, SizeclassAnswersLikeTheGoTable) {
  const std::string bin = GOMEMSIM_BINARY;
  const CmdResult r = sh(bin + " sizeclass 1025B");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("class 33: 1152 B per object"), std::string::npos) << r.out;
  EXPECT_NE(sh(bin + " sizeclass 40KiB").out.find("5 pages"), std::string::npos);
  EXPECT_EQ(sh(bin + " sizeclass banana").status, 2);
}

// --env is repeatable in run and compare: two flags give what one flag with both assignments
// gives, and differ from either alone.
TEST(Cli, EnvTwiceAppliesBoth) {
  const std::string dir = cli_testing::freshTempDir("env-twice");
  const std::string bin = GOMEMSIM_BINARY;
  const std::string sc = dir + "/small.yaml";
  std::ofstream(sc) << "about: a small steady load\nruntime: {go: \"1.22\"}\nsample_every: 1s\nsteps:\n"
                       "  - run: {for: 20s, alloc: [{rate: 20MB/s, size: 1KiB, lifetime: 2s}]}\n";
  const std::string a = "GOGC=50", b = "GOMAXPROCS=3";
  auto run = [&](const std::string& env, const std::string& out) {
    const CmdResult r = sh(bin + " run " + sc + " -q " + env + " --out " + dir + "/" + out);
    EXPECT_EQ(r.status, 0) << r.out;
    return readFile(dir + "/" + out + "/summary.json") + readFile(dir + "/" + out + "/gctrace.log");
  };
  const std::string twice = run("--env " + a + " --env " + b, "twice");
  EXPECT_NE(twice.find("\"gogc\": 50,"), std::string::npos) << twice;
  EXPECT_NE(twice.find("\"gomaxprocs\": 3,"), std::string::npos) << twice;
  EXPECT_EQ(twice, run("--env " + a + "," + b, "once"));
  EXPECT_NE(twice, run("--env " + a, "a"));
  EXPECT_NE(twice, run("--env " + b, "b"));
  auto compare = [&](const std::string& env, const std::string& out) {
    const CmdResult r = sh(bin + " compare " + sc + " -q --vary seed=1,2 " + env + " --out " + dir + "/" + out);
    EXPECT_EQ(r.status, 0) << r.out;
    return readFile(dir + "/" + out + "/compare.csv") + readFile(dir + "/" + out + "/gctrace.log");
  };
  const std::string cmpTwice = compare("--env " + a + " -e " + b, "c-twice");
  EXPECT_FALSE(cmpTwice.empty());
  EXPECT_EQ(cmpTwice, compare("--env " + a + "," + b, "c-once"));
  EXPECT_NE(cmpTwice, compare("--env " + a, "c-a"));
  EXPECT_NE(cmpTwice, compare("--env " + b, "c-b"));
  std::filesystem::remove_all(dir);
}

// The whitespace-separated words of text, in order.
std::vector<std::string> wordsOf(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Help never breaks a word: at 80 columns (and at a narrow 50) every command's help has the
// same words, in the same order, as laid out 1000 columns wide, one line per option; and each
// line fits, unless it is one word longer than the room left.
TEST(Cli, HelpWrapsBetweenWordsForEveryCommand) {
  const std::string bin = GOMEMSIM_BINARY;
  for (const char* cmd : {"run", "compare", "validate", "sizeclass", "fit", ""}) {
    SCOPED_TRACE(cmd);
    const std::string help = std::string(" ") + cmd + " --help";
    const CmdResult wide = sh("COLUMNS=1000 " + bin + help);
    ASSERT_EQ(wide.status, 0) << wide.out;
    for (const int width : {80, 50}) {
      const CmdResult narrow = sh("COLUMNS=" + std::to_string(width) + " " + bin + help);
      ASSERT_EQ(narrow.status, 0) << narrow.out;
      EXPECT_EQ(wordsOf(narrow.out), wordsOf(wide.out)) << narrow.out;
      std::istringstream lines(narrow.out);
      for (std::string line; std::getline(lines, line);) {
        if (std::string(cmd).empty() && width != 80) continue;  // the command list is laid out by hand for 80
        EXPECT_TRUE(line.size() <= static_cast<size_t>(width) || wordsOf(line).size() == 1) << line;
      }
    }
    if (std::string(cmd) == "run") {
      // --env's description is longer than 80 columns: wrapped at 80, one line wide.
      EXPECT_NE(wide.out.find("Go environment, e.g. GOGC=off,GOMEMLIMIT=1GiB,GOMAXPROCS=4,GODEBUG=madvdontneed=0 (repeatable)"),
                std::string::npos)
          << wide.out;
      EXPECT_NE(sh("env -u COLUMNS " + bin + help).out.find("GOGC=off,GOMEMLIMIT=1GiB,GOMAXPROCS=4,GODEBUG=madvdontneed=0\n"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace gomemsim
