// gomemsim fit's round trip (issue 12): a scenario of scenarios/ simulated, its own gctrace.log
// fitted, the fit simulated: GC count and mean heap after mark within 5 % of the first run's,
// peak RSS within 10 %. What gctrace cannot show - the machine (THP, memory, cgroup) - is
// carried over from the scenario, as a user who fits their service knows their machine.
//
// Not yet within those bounds, and so not listed here (issue 12): container-oom and
// memory-limit-death-spiral (GOMEMLIMIT is not estimated: the limit-set goals read as a tiny
// GOGC), seed-1gb and seed-10gb (growslice's huge short-lived arrays: the fitted program's
// objects are all one size), fragmentation (a fraction drop of a mixed-size set: heap after
// mark -21 %), thp (peak RSS -11 %: its buffers are written only in their first 16 KiB, which
// gctrace cannot show).

#include <gtest/gtest.h>

#include <sstream>

#include "engine/simulation.h"
#include "fit/fit.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

class FitRoundTrip : public testing::TestWithParam<const char*> {};

TEST_P(FitRoundTrip, TheFitOfAScenariosOwnLogReproducesIt) {
  const Scenario s = loadScenario(kRoot + "/scenarios/" + GetParam() + ".yaml");
  Simulation first(s);
  const SimResult a = first.run();
  std::istringstream logText(gctraceLog(a));
  const GcTraceLog log = readGcTrace(logText, GetParam());
  ASSERT_TRUE(log.problems.empty()) << log.problems.front();
  FitOptions o;
  o.go = a.goVersion;
  const Fit f = fitGcTrace(log, o);
  Scenario fitted = parseScenario(f.yaml, "fitted.yaml");
  fitted.machine = s.machine;
  Simulation second(fitted);
  const SimResult b = second.run();
  std::istringstream refit(gctraceLog(b));
  int checked = 0;
  for (const FitCheck& c : compareGcTraces(log, readGcTrace(refit, "fitted"))) {
    if (c.metric == "GCs" || c.metric.rfind("heap after mark", 0) == 0) {
      EXPECT_LE(std::abs(c.relErr()), 0.05) << c.metric << ": " << c.real << " first run, " << c.fitted << " fitted";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2);
  const double peakA = static_cast<double>(summarize(a).peak.rss.v), peakB = static_cast<double>(summarize(b).peak.rss.v);
  EXPECT_NEAR(peakB / peakA, 1.0, 0.10) << "peak RSS " << peakA / 1048576 << " MiB first run, " << peakB / 1048576
                                        << " MiB fitted";
}

INSTANTIATE_TEST_SUITE_P(Scenarios, FitRoundTrip,
                         testing::Values("steady-service", "burst-then-idle", "freeosmemory", "madv-free-pressure",
                                         "scavenger-policies"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace gomemsim
