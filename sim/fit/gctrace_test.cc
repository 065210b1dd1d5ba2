#include "fit/gctrace.h"

#include <gtest/gtest.h>

#include <sstream>

namespace gomemsim {
namespace {

GcTraceLog read(const std::string& text) {
  std::istringstream in(text);
  return readGcTrace(in, "svc.log");
}

// Real lines of each format era: Go 1.19.8, 1.26.8 and 1.27.3 from this project's recorded runs
// (tests/fidelity/<version>/*/gctrace.log); the Go 1.11-1.17 line as a public blog post quotes
// a Go service's log (no stacks or globals fields).
TEST(GcTrace, ReadsTheLinesOfEveryFormatEra) {
  const GcTraceLog log = read(
      "gc 7 @0.247s 5%: 0.006+16+0.017 ms clock, 0.027+0/15/32+0.070 ms cpu, 48->49->34 MB, 50 MB goal, 4 P\n"
      "gc 2 @0.006s 2%: 0.005+3.1+0.001 ms clock, 0.011+0/0.090/0.67+0.003 ms cpu, 8->11->11 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "scav 0 KiB work, 3496 KiB total, 96% util\n"
      "gc 8 @2.145s 0%: 0.23+0.53+0.007 ms clock, 0.46+0/0.32/0.66+0.015 ms cpu, 478->478->0 MB, 508 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)\n"
      "scav 0 KiB work (bg), 0 KiB work (eager), 5664 KiB now, 35% util\n"
      "GC forced\n"
      "gc 10 @124.000s 0%: 0.034+0.61+0.003 ms clock, 0.069+0.45/0.15/0.52+0.007 ms cpu, 957->957->0 MB, 1515 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "scav 3 12 KiB work, 400 KiB total, 90% util (forced)\n");
  EXPECT_TRUE(log.problems.empty()) << log.problems.front();
  ASSERT_EQ(log.cycles.size(), 4u);
  const GcTraceCycle& old = log.cycles[0];
  EXPECT_EQ(old.n, 7);
  EXPECT_DOUBLE_EQ(old.startS, 0.247);
  EXPECT_EQ(old.utilPct, 5);
  EXPECT_DOUBLE_EQ(old.clockMs[1], 16);
  EXPECT_DOUBLE_EQ(old.cpuMs[2], 15);
  EXPECT_DOUBLE_EQ(old.cpuMs[3], 32);
  EXPECT_EQ(old.heap0Mb, 48);
  EXPECT_EQ(old.heap1Mb, 49);
  EXPECT_EQ(old.heap2Mb, 34);
  EXPECT_EQ(old.goalMb, 50);
  EXPECT_FALSE(old.stacksMb.has_value());
  EXPECT_EQ(old.procs, 4);
  EXPECT_EQ(log.cycles[1].stacksMb, 0);
  EXPECT_EQ(log.cycles[1].line, 2);
  EXPECT_TRUE(log.cycles[2].forced);
  EXPECT_FALSE(log.cycles[3].forced) << "sysmon's GC is announced by 'GC forced', not marked (forced)";
  EXPECT_DOUBLE_EQ(log.cycles[3].endS(), 124.0 + (0.034 + 0.61 + 0.003) / 1000);
  EXPECT_EQ(log.periodicMarks, 1);
  EXPECT_EQ(log.era, GcTraceEra::Go118);
  ASSERT_EQ(log.scav.size(), 3u);
  EXPECT_EQ(log.scav[0].totalKiB, 3496);  // Go 1.14, 1.19-1.20
  EXPECT_EQ(log.scav[1].totalKiB, 5664);  // Go 1.21+
  EXPECT_EQ(log.scav[2].workKiB, 12);     // Go 1.15-1.18, with the GC number
  EXPECT_TRUE(log.scav[2].forced);
}

TEST(GcTrace, FindsTraceLinesBehindALoggersPrefixAndIgnoresTheRest) {
  const GcTraceLog log = read(
      "2026-12-08T01:00:00Z app started, listening on :8080\n"
      "2026-12-08T01:00:01Z stderr: gc 1 @0.020s 6%: 0.23+2.8+0.096 ms clock, 0.47+1.3/1.4/0.87+0.19 ms cpu, 3->3->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "the gc is fine, gc 5 times a day @noon\n"
      "[pod-7] gc 2 @1.5s 1% (checking for goroutine leaks): 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 4->5->2 MB, 6 MB goal, 0 MB stacks, 0 MB globals, 8 P\n");
  EXPECT_TRUE(log.problems.empty());
  ASSERT_EQ(log.cycles.size(), 2u);
  EXPECT_EQ(log.cycles[1].procs, 8) << "Go 1.26's leak-checker note after the utilisation";
}

TEST(GcTrace, AnUnreadableLineIsReportedWithItsNumberAndTheRestIsUsed) {
  const GcTraceLog log = read(
      "gc 1 @0.002s 4%: 0.084+1.2+0.002 ms clock, 0.16+0/0.18/0.41+0.005 ms cpu, 3->4->4 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "gc 2 @0.006s 2%: 0.005+3.1+0.001 ms clock, 0.011+0/0.090/0.67+0.0\n"
      "gc 88 @3.243s 9%: 0.040+16+1.0+5.9+0.34 ms clock, 0.16+16+0+18/5.7/11+1.3 ms cpu, 32->33->19 MB, 33 MB goal, 4 P\n"
      "scav 0 KiB wor\n"
      "gc 3 @0.010s 2%: 0.005+3.1+0.001 ms clock, 0.011+0/0.090/0.67+0.003 ms cpu, 8->11->11 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 2 P\n");
  ASSERT_EQ(log.cycles.size(), 2u);
  EXPECT_EQ(log.cycles[1].n, 3);
  ASSERT_EQ(log.problems.size(), 3u);
  EXPECT_EQ(log.problems[0].rfind("svc.log:2: expected 'gc N @Ts U%", 0), 0u) << log.problems[0];
  EXPECT_EQ(log.problems[1].rfind("svc.log:3: ", 0), 0u) << "Go 1.5's five clock phases are not read";
  EXPECT_EQ(log.problems[2].rfind("svc.log:4: expected a scavtrace line", 0), 0u) << log.problems[2];
}

// sysmon's GC is the cycle after a "GC forced" line; the kernel's OOM report gives the kill's
// time and the cgroup's limit (as gomemsim's gctrace.log writes them, and dmesg).
TEST(GcTrace, PeriodicCyclesAndTheKernelsKill) {
  const GcTraceLog log = read(
      "gc 1 @1.000s 0%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 8->8->4 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "GC forced\n"
      "gc 2 @121.000s 0%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 5->5->4 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "gc 3 @122.000s 0%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 8->8->4 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "[   36.256000] memory: usage 2097178kB, limit 2097152kB, failcnt 1\n"
      "[   36.256000] Memory cgroup out of memory: Killed process 1000 (goprogram) total-vm:2100593kB\n");
  EXPECT_TRUE(log.problems.empty()) << log.problems.front();
  ASSERT_EQ(log.cycles.size(), 3u);
  EXPECT_FALSE(log.cycles[0].periodic);
  EXPECT_TRUE(log.cycles[1].periodic);
  EXPECT_FALSE(log.cycles[2].periodic);
  ASSERT_TRUE(log.killedAtS.has_value());
  EXPECT_DOUBLE_EQ(*log.killedAtS, 36.256);
  ASSERT_TRUE(log.cgroupLimitBytes.has_value());
  EXPECT_EQ(*log.cgroupLimitBytes, int64_t{2097152} * 1024);
}

}  // namespace
}  // namespace gomemsim
