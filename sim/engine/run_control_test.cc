// A run watched by a RunMonitor: the progress it is told, how a stopped run ends (a prefix of the
// whole run, then one sample labelled "interrupted"), and the progress line's text and pacing
// on a wall clock the test drives.
#include "engine/run_control.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <string>
#include <vector>

#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

Scenario service(const std::string& duration) {
  return parseScenario("name: svc\nabout: a paced service\nruntime: {go: \"1.19\", gogc: 100, gomaxprocs: 2}\n"
                       "sample_every: 250ms\nsteps:\n"
                       "  - run:\n      for: " + duration + "\n      alloc:\n"
                       "        - {name: req, rate: 50MB/s, size: 4KiB, lifetime: {exponential: 100ms}}\n"
                       "  - idle: 5s\n",
                       "svc.yaml");
}

// Stops the run once the simulated clock reaches `at` (as a signal would), and records the
// progress it is told.
class StopAt : public RunMonitor {
 public:
  explicit StopAt(SimTime at) : at_(at) {}
  void sampled(const TraceRow& row) override {
    seen.push_back(row.mem.timeS);
    last_ = row.mem.timeS;
  }
  int stopRequested() const override { return last_ >= at_.seconds() ? SIGINT : 0; }
  std::vector<double> seen;

 private:
  SimTime at_;
  double last_ = 0;
};

TraceRow at(double seconds) {
  TraceRow row{"run", {}, "run", 0};
  row.mem.timeS = seconds;
  return row;
}

TEST(RunControl, TheMonitorSeesEverySampleAsItIsTaken) {
  const Scenario s = service("3s");
  Simulation sim(s);
  StopAt never(SimTime(int64_t{1} << 62));
  sim.setMonitor(&never);
  const SimResult r = sim.run();
  EXPECT_EQ(r.interruptedBy, 0);
  // One call per sample: the periodic ones and those at the start and at step ends.
  ASSERT_EQ(never.seen.size(), r.rows.size());
  for (size_t i = 0; i < r.rows.size(); ++i) EXPECT_EQ(never.seen[i], r.rows[i].mem.timeS);
}

// A stopped run is the whole run's beginning, sample for sample, then one "interrupted" sample:
// its outputs say what happened up to the stop, never anything the whole run would not.
TEST(RunControl, AStoppedRunIsThePrefixOfTheWholeRunThenOneInterruptedSample) {
  const Scenario s = service("4s");
  const SimResult whole = Simulation(s).run();
  Simulation sim(s);
  StopAt stop(SimTime(2'000'000'000));
  sim.setMonitor(&stop);
  const SimResult part = sim.run();
  EXPECT_EQ(part.interruptedBy, SIGINT);
  EXPECT_EQ(whole.interruptedBy, 0);
  ASSERT_GE(part.rows.size(), 3u);
  ASSERT_LT(part.rows.size(), whole.rows.size());
  EXPECT_EQ(part.rows.back().step, "interrupted");
  EXPECT_GE(part.rows.back().mem.timeS, 2.0);
  EXPECT_LT(part.rows.back().mem.timeS, 2.3);
  const std::string wholeCsv = traceCsv(whole);
  SimResult prefix = part;
  prefix.rows.pop_back();
  const std::string prefixCsv = traceCsv(prefix);
  EXPECT_EQ(wholeCsv.substr(0, prefixCsv.size()), prefixCsv);
  EXPECT_EQ(part.plannedSeconds, 9.0);  // 4 s of run and 5 s idle
  // Every output says it is partial.
  const Summary sum = summarize(part);
  EXPECT_NE(summaryJson(s, part, sum).find("\"partial\": true"), std::string::npos);
  EXPECT_NE(summaryJson(s, part, sum).find("\"interrupted\": {\"signal\": \"SIGINT\""), std::string::npos);
  EXPECT_NE(summaryJson(s, whole, summarize(whole)).find("\"partial\": false"), std::string::npos);
  std::ostringstream text;
  printSummary(text, s, part, sum);
  EXPECT_NE(text.str().find("INTERRUPTED by SIGINT"), std::string::npos) << text.str();
}

TEST(RunControl, ProgressTextGivesTheShareTheSpeedAndTheTimeLeft) {
  EXPECT_EQ(progressText(30, 120, 2), "simulated 30.0 s of 120.0 s (25 %), 15x real time, 6 s left");
  EXPECT_EQ(progressText(30, 3600, 1.5), "simulated 30.0 s of 3600.0 s (1 %), 20x real time, 2m58s left");
  EXPECT_EQ(progressText(3, 3600, 4), "simulated 3.0 s of 3600.0 s (0 %), 0.8x real time, 1h19m left");
  // Unknown or passed plan: no share, no time left.
  EXPECT_EQ(progressText(30, 0, 2), "simulated 30.0 s, 15x real time");
  EXPECT_EQ(progressText(130, 120, 2), "simulated 130.0 s, 65x real time");
}

TEST(RunControl, TheProgressLineWaitsASecondThenRewritesItselfAtMostTwiceASecond) {
  double wall = 100;
  std::ostringstream out;
  ProgressLine line(out, 60, [&] { return wall; });
  wall = 100.5;
  line.sampled(at(5));
  EXPECT_EQ(out.str(), "") << "nothing for a run under a second";
  wall = 101.0;
  line.sampled(at(10));
  EXPECT_EQ(out.str(), "\r\033[Ksimulated 10.0 s of 60.0 s (17 %), 10x real time, 5 s left");
  wall = 101.3;
  line.sampled(at(13));
  EXPECT_EQ(out.str().find("13.0 s"), std::string::npos) << "rewritten too soon";
  wall = 101.5;
  line.sampled(at(15));
  EXPECT_NE(out.str().find("\r\033[Ksimulated 15.0 s"), std::string::npos);
  const size_t before = out.str().size();
  line.finish();
  EXPECT_EQ(out.str().substr(before), "\r\033[K") << "finish erases the line";
  line.finish();
  EXPECT_EQ(out.str().size(), before + 4) << "and only once";
}

TEST(RunControl, FinishingALineNeverShownPrintsNothing) {
  std::ostringstream out;
  double wall = 0;
  ProgressLine line(out, 60, [&] { return wall; });
  line.finish();
  EXPECT_EQ(out.str(), "");
}

TEST(RunControl, TheFirstSignalOnlyAsksTheRunToStop) {
  ASSERT_EQ(stopSignal(), 0);
  installStopHandlers();
  std::raise(SIGTERM);  // the process goes on
  EXPECT_EQ(stopSignal(), SIGTERM);
  StopOnSignal monitor;
  EXPECT_EQ(monitor.stopRequested(), SIGTERM);
  requestStop(0);
  EXPECT_EQ(monitor.stopRequested(), 0);
  // Leave the process as the other tests expect it.
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace
}  // namespace gomemsim
