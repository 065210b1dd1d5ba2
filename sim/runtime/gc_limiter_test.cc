// The GC CPU limiter: Go 1.19's own test of the bucket (runtime/mgclimit_test.go
// TestGCCPULimiter, the parts that do not change GOMAXPROCS) with its exact numbers, and the
// runtime model with the limiter on: no assists, the heap overshoots.
#include "runtime/gc_limiter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "pacer/pacer.h"
#include "runtime/runtime.h"

namespace gomemsim {
namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kSecond = 1000000000;

TEST(GcCpuLimiter, BucketFillsAndDrainsAsMgclimitTestSays) {
  constexpr int64_t procs = 14;
  int64_t ticks = 0;
  auto advance = [&](int64_t d) { return ticks += d; };
  auto assistTime = [](int64_t d, double frac) { return static_cast<int64_t>(frac * static_cast<double>(d) * procs); };
  GcCpuLimiter l(procs, ticks);
  ASSERT_EQ(l.capacity(), static_cast<uint64_t>(procs * GcCpuLimiter::kCapacityPerProc));
  ASSERT_EQ(l.fill(), 0u);

  // Only mutator time: the bucket stays empty.
  l.update(advance(10 * kMs), 0);
  l.update(advance(kSecond), 0);
  l.update(advance(3600 * kSecond), 0);
  EXPECT_EQ(l.fill(), 0u);

  // Enabling the GC: the stop-the-world counts on every P.
  l.startGcTransition(true, advance(109 * kMs), 0);
  l.finishGcTransition(advance(2 * kMs + 1000), 0);
  const uint64_t stwFill = static_cast<uint64_t>((2 * kMs + 1000) * procs);
  EXPECT_EQ(l.fill(), stwFill);

  // Marking without assists: 25 % GC, 75 % mutator, drains at half the window; exactly to
  // `procs` ns.
  const double factor = 1 / (1 - 2 * kGcBackgroundUtilization);
  l.update(advance(static_cast<int64_t>(factor * static_cast<double>(stwFill - procs) / procs)), 0);
  EXPECT_EQ(l.fill(), static_cast<uint64_t>(procs));
  l.update(advance(2 * procs * GcCpuLimiter::kCapacityPerProc), 0);
  EXPECT_EQ(l.fill(), 0u);

  // 50 % GC work: no change.
  l.addAssistTime(assistTime(10 * kMs, 0.5 - kGcBackgroundUtilization));
  l.update(advance(10 * kMs), 0);
  EXPECT_EQ(l.fill(), 0u);

  // 100 % GC work for 1 ms: fills by procs ms, not limiting yet.
  l.addAssistTime(assistTime(kMs, 1.0 - kGcBackgroundUtilization));
  l.update(advance(kMs), 0);
  EXPECT_EQ(l.fill(), static_cast<uint64_t>(procs * kMs));
  EXPECT_FALSE(l.limiting());

  // Exactly full: limiting, no overflow; the cycle that enabled it is recorded.
  l.addAssistTime(assistTime(kSecond - kMs, 1.0 - kGcBackgroundUtilization));
  l.update(advance(kSecond - kMs), 7);
  EXPECT_EQ(l.fill(), l.capacity());
  EXPECT_TRUE(l.limiting());
  EXPECT_EQ(l.overflow(), 0u);
  EXPECT_EQ(l.lastEnabledCycle(), 8);

  // A change of exactly zero keeps it on.
  l.addAssistTime(assistTime(kSecond, 0.5 - kGcBackgroundUtilization));
  l.update(advance(kSecond), 8);
  EXPECT_EQ(l.fill(), l.capacity());
  EXPECT_TRUE(l.limiting());
  EXPECT_EQ(l.overflow(), 0u);

  // Draining by half turns it off.
  l.addAssistTime(assistTime(kSecond, 0));
  l.update(advance(kSecond), 8);
  EXPECT_EQ(l.fill(), l.capacity() / 2);
  EXPECT_FALSE(l.limiting());

  // Overfilling: the excess is overflow.
  l.addAssistTime(assistTime(kSecond, 1.0 - kGcBackgroundUtilization));
  l.update(advance(kSecond), 9);
  EXPECT_EQ(l.fill(), l.capacity());
  EXPECT_TRUE(l.limiting());
  EXPECT_EQ(l.overflow(), static_cast<uint64_t>(kSecond * procs / 2));
  EXPECT_EQ(l.lastEnabledCycle(), 10);

  // Ending the cycle with assists left over, then the STW: both overflow.
  l.addAssistTime(assistTime(kMs, 1.0 - kGcBackgroundUtilization));
  l.startGcTransition(false, advance(kMs), 9);
  EXPECT_TRUE(l.limiting());
  EXPECT_EQ(l.overflow(), static_cast<uint64_t>((kSecond / 2 + kMs) * procs));
  l.finishGcTransition(advance(5 * kMs), 9);
  EXPECT_EQ(l.fill(), l.capacity());
  EXPECT_EQ(l.overflow(), static_cast<uint64_t>((kSecond / 2 + 6 * kMs) * procs));
  EXPECT_FALSE(l.gcEnabled());
}

TEST(GcCpuLimiter, IdleTimeIsTakenOutOfTheTotal) {
  // mgclimit.go updateLocked: GC time is computed from the whole window, then idle time is
  // removed from the total. 2 Ps, 1 s of mark, one P idle (idle mark worker or idle list):
  // GC = 0.5 s, mutator = 2 - 1 - 0.5 = 0.5 s: no change. With the P busy: mutator 1.5 s.
  GcCpuLimiter l(2, 0);
  l.startGcTransition(true, 0, 0);
  l.accumulate(0, static_cast<int64_t>(GcCpuLimiter::kCapacityPerProc), 0);  // half full
  l.addIdleTime(kSecond);
  l.update(kSecond, 0);
  EXPECT_EQ(l.fill(), static_cast<uint64_t>(kSecond));
  l.update(2 * kSecond, 0);
  EXPECT_EQ(l.fill(), 0u);
  // The transition helper charges the STW on every P without moving the window.
  l.transition(false, 2 * kSecond, 60000, 0);
  EXPECT_EQ(l.fill(), 120000u);
  EXPECT_EQ(l.lastUpdate(), 2 * kSecond);
}

// --- in the runtime ---

// From the gctrace line of GC n, "gc N @T P%: STW+MARK+STW ms clock, STW+ASSIST/BG/IDLE+STW ms
// cpu, ...": the assist CPU (ms), or with clock = true the mark's clock time (ms).
double gctraceMs(const std::vector<std::string>& trace, int n, bool clock = false) {
  for (const std::string& line : trace) {
    int got = 0;
    if (std::sscanf(line.c_str(), "gc %d ", &got) != 1 || got != n) continue;
    const size_t from = clock ? line.find("%: ") : line.find("ms clock, ");
    const size_t plus = line.find('+', from);
    return std::stod(line.substr(plus + 1));
  }
  return -1;
}
double assistMsOf(const std::vector<std::string>& trace, int n) { return gctraceMs(trace, n); }

// GOGC=off while pointerful 1 MiB objects worth ~5 CPU-seconds of scanning are built (kScanNsPerByte
// per byte: ~19 GiB), then GOGC=100 starts a GC; the program is idle, so the limiter (1 P,
// capacity 1 s) fills by 25 % of the clock and is full after 4 s. Then the program allocates
// 1 MiB a millisecond while the mark goes on, using a tenth of the CPU (with the P busy the
// bucket would drain at once: mutator time 75 % against the workers' 25 %).
struct LimiterRun {
  std::vector<std::string> trace;
  bool limitingAt4s = false;
  double fillAt2s = -1;
  Bytes heapAt4500ms;
  MemSnapshot end;
};

LimiterRun runLongMark(const std::string& goVersion) {
  RuntimeConfig c;
  c.release = &goRelease(goVersion);
  c.gomaxprocs = 1;
  c.gogc = -1;
  Runtime rt(c);
  const int objects = static_cast<int>(5e9 / (kScanNsPerByte * static_cast<double>(MiB(1).v)));
  for (int i = 0; i < objects; ++i) rt.malloc(0, MiB(1), true, kForever, MiB(1), 0);
  rt.setGcPercent(100);
  LimiterRun out;
  EXPECT_TRUE(rt.snapshot().inMark);
  rt.advanceTo(SimTime(2 * kSecond), 0);
  if (const GcCpuLimiter* l = rt.gcLimiter()) out.fillAt2s = static_cast<double>(l->fill());
  rt.advanceTo(SimTime(4 * kSecond + kMs), 0);
  out.limitingAt4s = rt.gcLimiter() && rt.gcLimiter()->limiting();
  for (int64_t t = 4 * kSecond + 2 * kMs; t <= 4500 * kMs; t += kMs) {
    rt.malloc(0, MiB(1), true, tickOf(SimTime(t)), MiB(1), 0);  // garbage at once
    rt.advanceTo(SimTime(t), 0.1);  // a mostly idle program: GC stays over half the busy CPU
  }
  out.heapAt4500ms = rt.snapshot().heapInuse;
  rt.advanceTo(SimTime(20 * kSecond), 0);
  out.end = rt.snapshot();
  out.trace = rt.takeTrace();
  return out;
}

TEST(GcCpuLimiter, TurnsAssistsOffInTheRuntime) {
  const LimiterRun on = runLongMark("1.19");
  const LimiterRun off = runLongMark("1.18");  // no limiter before Go 1.19
  // 2 s of mark with an idle program: 25 % of 1 P, plus the sweep-termination STW (30 us).
  EXPECT_DOUBLE_EQ(on.fillAt2s, 0.25 * 2 * kSecond + kStwNs / 2);
  EXPECT_TRUE(on.limitingAt4s);
  EXPECT_EQ(on.end.numGc, 1);
  EXPECT_EQ(off.end.numGc, 1);
  // Go 1.18 assists for the 1 MiB a millisecond; Go 1.19 with the limiter on does not.
  EXPECT_GT(assistMsOf(off.trace, 1), 50);
  EXPECT_EQ(assistMsOf(on.trace, 1), 0);
  EXPECT_GT(on.end.gcLimiterEnabledS, 0.5);
  EXPECT_EQ(on.end.gcLimiterLastEnabledCycle, 1);
  EXPECT_EQ(off.end.gcLimiterEnabledS, 0);
  // The same allocation; without assists the mark takes longer.
  EXPECT_EQ(on.heapAt4500ms, off.heapAt4500ms);
  EXPECT_GT(gctraceMs(on.trace, 1, true), gctraceMs(off.trace, 1, true) + 50);
}

}  // namespace
}  // namespace gomemsim
