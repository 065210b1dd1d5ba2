#include "runtime/cpu_stats.h"

#include <gtest/gtest.h>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

// Two Ps for 10 ms: the program uses 4 ms, the mark workers 6 ms; 10 ms are idle.
TEST(CpuAccount, WhatNoOneUsedIsIdle) {
  CpuAccount a(2);
  a.step(10e6, 4e6, 6e6);
  a.markWork(1e6, 2e6, 4e6);
  a.publish();
  const CpuStats& c = a.published();
  EXPECT_DOUBLE_EQ(c.totalNs, 20e6);
  EXPECT_DOUBLE_EQ(c.idleNs, 10e6);
  EXPECT_DOUBLE_EQ(c.gcTotalNs(), 7e6);
  EXPECT_DOUBLE_EQ(c.userNs(), 3e6) << "the program's 4 ms less its 1 ms of assists";
}

// Go publishes at mark termination only (mgc.go gcMarkTermination: cpuStats.accumulate).
TEST(CpuAccount, AReaderSeesTheFiguresOfTheLastMarkTermination) {
  CpuAccount a(4);
  a.step(1e6, 0, 0);
  EXPECT_DOUBLE_EQ(a.published().totalNs, 0);
  a.publish();
  a.step(1e6, 0, 0);
  EXPECT_DOUBLE_EQ(a.published().totalNs, 4e6);
  EXPECT_DOUBLE_EQ(a.live().totalNs, 8e6);
}

// A pause stops every P (accumulateGCPauseTime: dt x GOMAXPROCS), in the total as in gc.
TEST(CpuAccount, APauseCountsOnEveryP) {
  CpuAccount a(8);
  a.pause(30e3);
  a.publish();
  EXPECT_DOUBLE_EQ(a.published().gcPauseNs, 240e3);
  EXPECT_DOUBLE_EQ(a.published().totalNs, 240e3);
  EXPECT_DOUBLE_EQ(a.published().userNs(), 0);
}

// Work done on idle Ps outside a step's figures (bgsweep beside the allocating goroutine, the
// background scavenger) comes out of the idle time that follows, never below zero.
TEST(CpuAccount, WorkOnIdlePsComesOutOfTheIdleTimeThatFollows) {
  CpuAccount a(2);
  a.fromIdle(15e6);
  a.scavengeBackground(5e6);
  a.step(5e6, 0, 0);  // 10 ms idle, all taken
  EXPECT_DOUBLE_EQ(a.live().idleNs, 0);
  a.step(5e6, 0, 0);  // 10 ms idle, 5 ms left to take
  EXPECT_DOUBLE_EQ(a.live().idleNs, 5e6);
  EXPECT_DOUBLE_EQ(a.live().userNs(), 15e6 - 5e6) << "sweeping is user time, the scavenger is not";
}

// In a simulated run: before the heap is big enough for a GC the program's CPU is what the
// engine says (objects x kAllocNs + bytes written x kMemclrNsPerByte) and the rest of the Ps
// idle; every class adds up to the total, which is GOMAXPROCS x the time of the last GC (plus
// its pauses).
TEST(CpuAccount, ARunsClassesAddUpAndFollowItsProgram) {
  const Scenario s = parseScenario(R"(
name: cpu
about: a program on four Ps
runtime: {go: "1.26", gogc: 100, gomaxprocs: 4}
sample_every: 1s
steps:
  - run:
      for: 20s
      alloc:
        - {name: requests, rate: 50MB/s, size: 1KiB, lifetime: {exponential: 10ms}}
)",
                                   "cpu.yaml");
  Simulation sim(s);
  const SimResult r = sim.run();
  const MemSnapshot& end = r.rows.back().mem;
  ASSERT_GT(end.numGc, 10);
  const CpuStats& c = end.cpu;
  EXPECT_NEAR(c.totalNs, 4.0 * (end.timeS * 1e9 + static_cast<double>(end.pauseTotalNs)), 4.0 * 1e9)
      << "published at the last mark termination, within a second of the end";
  EXPECT_NEAR(c.userNs() + c.gcTotalNs() + c.scavengeTotalNs() + c.idleNs, c.totalNs, 1);
  EXPECT_GT(c.gcDedicatedNs, 0);
  EXPECT_GT(c.gcIdleNs, 0) << "three Ps are free for idle mark workers";
  // The program: 50 MB/s of 1 KiB objects, each allocated (kAllocNs) and written (kMemclrNsPerByte).
  const double programCpus = 50e6 / 1024 * kAllocNs * 1e-9 + 50e6 * kMemclrNsPerByte * 1e-9;
  const double userCpus = c.userNs() / (c.totalNs / 4);
  EXPECT_GT(userCpus, programCpus) << "the program, and sweeping besides";
  EXPECT_LT(userCpus, programCpus * 3);
  EXPECT_GT(c.idleNs / c.totalNs, 0.7) << "one program on four Ps leaves most of them idle";
}

}  // namespace
}  // namespace gomemsim
