// gomemsim fit's round trip (issue 12): a scenario of scenarios/ simulated, its own gctrace.log
// fitted, the fit simulated: GC count and mean heap after mark within 5 % of the first run's,
// peak RSS within 10 %. What the log cannot show - the machine's transparent huge pages - is
// carried over from the scenario, as a user who fits their service knows their machine; the
// cgroup limit and the kill come from the kernel's lines in the log.
//
// Not yet within those bounds, and so not listed here (issue 12): seed-1gb and seed-10gb
// (growslice's huge short-lived arrays: the fitted program's objects are all one size), fragmentation (a fraction drop of a mixed-size set: heap after
// mark -21 %), thp (peak RSS -11 %: its buffers are written only in their first 16 KiB, which
// gctrace cannot show).

#include <gtest/gtest.h>

#include <sstream>

#include "engine/simulation.h"
#include "fit/fit.h"
#include "fit/metrics_series.h"
#include "goversion/goversion.h"
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
  fitted.machine.thp = s.machine.thp;  // the cgroup limit comes from the kernel's lines in the log
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
                                         "scavenger-policies", "container-oom", "memory-limit-death-spiral"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// The same from the scenario's runtime/metrics series (metrics.csv, as Go 1.26 exports it): the
// cycles come from /gc/cycles/total, /gc/heap/allocs and /gc/heap/live, the mark CPU from
// /cpu/classes, GOGC and GOMEMLIMIT as stated; the fitted run's gctrace against the series'
// cycles, within 10 % (a sample every 100 ms to 1 s tells less than a gctrace line: when a
// cycle ended and what it allocated are estimated, metrics_series.h). Not yet within it:
// fragmentation (heap after mark -35 %) and seed-1gb (+59 %), as from their gctrace.
class FitMetricsRoundTrip : public testing::TestWithParam<const char*> {};

TEST_P(FitMetricsRoundTrip, TheFitOfAScenariosOwnMetricsReproducesIt) {
  Scenario s = loadScenario(kRoot + "/scenarios/" + GetParam() + ".yaml");
  s.runtime.go_version = "1.26";
  Simulation first(s);
  const SimResult a = first.run();
  std::istringstream csv(metricsCsv(a, goRelease("1.26")));
  const MetricsSeries series = readMetricsSeries(csv, GetParam());
  ASSERT_TRUE(series.log.problems.empty()) << series.log.problems.front();
  ASSERT_TRUE(series.gogc.has_value());
  FitOptions o;
  o.go = "1.26";
  o.knownGogc = series.gogc;
  o.knownMemoryLimit = series.memoryLimit;
  o.knownSettings = true;
  o.inputKind = "runtime/metrics series";
  const Fit f = fitGcTrace(series.log, o);
  EXPECT_EQ(f.gogc, s.runtime.gogc);
  EXPECT_EQ(f.memoryLimit.has_value(), s.runtime.memory_limit.has_value());
  Scenario fitted = parseScenario(f.yaml, "fitted.yaml");
  fitted.machine.thp = s.machine.thp;
  Simulation second(fitted);
  std::istringstream refit(gctraceLog(second.run()));
  int checked = 0;
  for (const FitCheck& c : compareGcTraces(series.log, readGcTrace(refit, "fitted"))) {
    if (c.metric == "GCs" || c.metric.rfind("heap after mark", 0) == 0) {
      EXPECT_LE(std::abs(c.relErr()), 0.10) << c.metric << ": " << c.real << " first run, " << c.fitted << " fitted";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, FitMetricsRoundTrip,
                         testing::Values("steady-service", "burst-then-idle", "freeosmemory", "scavenger-policies",
                                         "container-oom", "memory-limit-death-spiral"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace gomemsim
