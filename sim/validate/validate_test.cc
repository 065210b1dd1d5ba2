// Tests of `gomemsim validate`: the scenario JSON (units, every step kind, round trip, strict
// reading), the trace comparison on hand-made traces with exactly computable answers
// (interpolation, peak/final/mean, relative L2, step alignment, release times, tolerances), and
// end to end on the real Go runtime when a go toolchain is installed (skipped otherwise).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/cli_test_support.h"
#include "engine/simulation.h"
#include "scavenger/scavenger.h"
#include "validate/fidelity.h"
#include "validate/real_go.h"
#include "validate/scenario_json.h"
#include "validate/validate.h"

namespace gomemsim {
namespace {

namespace fs = std::filesystem;

// Every step kind and distribution, with units to normalise.
const char* kEveryKind = R"(name: every-kind
about: every step kind
runtime: {go: "1.19", gogc: 50, memory_limit: 1GiB, gomaxprocs: 3, godebug: "madvdontneed=0"}
machine: {memory: 8GiB}
sample_every: 250ms
seed: 18446744073709551615
steps:
  - live_set: {name: cache, grow_to: 200MB, size: {choice: [{size: 32B, weight: 4}, {size: 1KiB, weight: 1}]}, over: 2s, touch: 0.5, pointers: true}
  - run:
      for: 1m
      alloc:
        - {name: reqs, rate: 100MB/s, size: {uniform: [64B, 1KiB]}, lifetime: {exponential: 500ms}}
        - {rate: 1.5GiB/s, size: {lognormal: {median: 1KiB, sigma: 0.5, max: 64KiB}}, lifetime: {lognormal: {median: 1s, sigma: 0.25}}}
        - {rate: 64KiB/ms, size: 4KiB, lifetime: 2s, total: 10MB}
        - {rate: 1MB/s, size: 16B, lifetime: 0}
        - {rate: 1MB/s, size: 48B, set: burst, touch: 0.25}
  - append: {slice: s, add: 1MiB, times: 3, elem: 8, pointers: true}
  - drop: {set: cache, fraction: 0.9}
  - drop: {set: s}
  - drop_all
  - idle: 1h30m
  - gc
  - free_os_memory
  - set_gc_percent: off
  - set_memory_limit: off
  - set_gc_percent: 200
  - set_memory_limit: 512MiB
  - goroutines: {count: 1000, stack: 8KiB}
)";

Scenario everyKind() { return parseScenario(kEveryKind, "every-kind.yaml"); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// Scenario JSON

TEST(ValidateScenarioJson, NormalisesUnits) {
  const std::string j = scenarioToJson(everyKind());
  EXPECT_TRUE(contains(j, "\"sample_every_ns\": 250000000"));
  EXPECT_TRUE(contains(j, "\"seed\": 18446744073709551615"));
  EXPECT_TRUE(contains(j, "\"memory_limit_bytes\": 1073741824"));
  EXPECT_TRUE(contains(j, "\"memory_bytes\": 8589934592"));
  EXPECT_TRUE(contains(j, "\"grow_to_bytes\": 200000000"));
  EXPECT_TRUE(contains(j, "\"over_ns\": 2000000000"));
  EXPECT_TRUE(contains(j, "\"duration_ns\": 60000000000"));
  EXPECT_TRUE(contains(j, "\"duration_ns\": 5400000000000"));  // 1h30m
  EXPECT_TRUE(contains(j, "\"rate_bytes_per_s\": 100000000"));
  EXPECT_TRUE(contains(j, "\"rate_bytes_per_s\": 1610612736"));  // 1.5GiB/s
  EXPECT_TRUE(contains(j, "\"rate_bytes_per_s\": 65536000"));    // 64KiB/ms
  EXPECT_TRUE(contains(j, "\"mean_ns\": 500000000"));
  EXPECT_TRUE(contains(j, "{\"kind\": \"fixed\", \"ns\": 2000000000}"));
  EXPECT_TRUE(contains(j, "{\"kind\": \"zero\"}"));
  EXPECT_TRUE(contains(j, "\"total_bytes\": 10000000"));
  EXPECT_TRUE(contains(j, "\"add_bytes\": 1048576"));
  EXPECT_TRUE(contains(j, "\"stack_bytes\": 8192"));
  EXPECT_TRUE(contains(j, "\"percent\": -1"));            // set_gc_percent: off
  EXPECT_TRUE(contains(j, "\"limit_bytes\": null"));      // set_memory_limit: off
  EXPECT_TRUE(contains(j, "\"limit_bytes\": 536870912"));
  EXPECT_TRUE(contains(j, "\"touch\": 0.25"));
  EXPECT_TRUE(contains(j, "\"sigma\": 0.5"));
  EXPECT_TRUE(contains(j, "\"label\": \"drop:cache\""));
}

TEST(ValidateScenarioJson, ResolvesPolicyNamesAsTheEngineDoes) {
  const Scenario s = everyKind();
  const std::string j = scenarioToJson(s);
  EXPECT_TRUE(contains(j, "\"scavenger\": \"" + std::string(goRelease("1.19").scavenger) + "\""));
  EXPECT_TRUE(contains(j, "\"madvise\": \"free\""));  // GODEBUG=madvdontneed=0
  EXPECT_TRUE(contains(j, "\"madvise_default\": \"dontneed\""));
  EXPECT_EQ(resolvedMadvise(s.runtime), madviseName(runtimeConfigFor(s).madvise));
}

TEST(ValidateScenarioJson, IsDeterministicAndRoundTrips) {
  const Scenario s = everyKind();
  const std::string j = scenarioToJson(s);
  EXPECT_EQ(j, scenarioToJson(everyKind()));
  const Scenario back = scenarioFromJson(j, "x.json");
  EXPECT_EQ(scenarioToJson(back), j);
  ASSERT_EQ(back.steps.size(), s.steps.size());
  EXPECT_EQ(back.seed, s.seed);
  EXPECT_EQ(back.sample_every, s.sample_every);
  EXPECT_EQ(back.runtime.memory_limit, s.runtime.memory_limit);
  EXPECT_EQ(back.runtime.gogc, 50);
  EXPECT_EQ(gomaxprocsOf(back), 3);
  for (size_t i = 0; i < s.steps.size(); ++i) {
    EXPECT_EQ(back.steps[i].label, s.steps[i].label);
    EXPECT_EQ(back.steps[i].pos.line, s.steps[i].pos.line);
    EXPECT_EQ(back.steps[i].body.index(), s.steps[i].body.index()) << "step " << i;
  }
  const auto& run = std::get<RunStep>(back.steps[1].body);
  const auto& orig = std::get<RunStep>(s.steps[1].body);
  ASSERT_EQ(run.alloc.size(), 5u);
  for (size_t i = 0; i < run.alloc.size(); ++i) {
    EXPECT_EQ(run.alloc[i].name, orig.alloc[i].name);
    EXPECT_EQ(run.alloc[i].bytes_per_second, orig.alloc[i].bytes_per_second);
    EXPECT_EQ(run.alloc[i].size.kind, orig.alloc[i].size.kind);
    EXPECT_EQ(run.alloc[i].lifetime.kind, orig.alloc[i].lifetime.kind);
    EXPECT_EQ(run.alloc[i].total, orig.alloc[i].total);
    EXPECT_EQ(run.alloc[i].touch, orig.alloc[i].touch);
    EXPECT_EQ(run.alloc[i].set, orig.alloc[i].set);
  }
  EXPECT_EQ(run.alloc[1].size.sigma, 0.5);
  EXPECT_EQ(run.alloc[1].size.max, KiB(64));
  EXPECT_EQ(run.alloc[1].lifetime.median, Seconds(1));
  const auto& ls = std::get<LiveSetStep>(back.steps[0].body);
  EXPECT_EQ(ls.size.choices.size(), 2u);
  EXPECT_EQ(ls.size.choices[0].weight, 4.0);
  EXPECT_TRUE(ls.pointers);
  const auto& ap = std::get<AppendStep>(back.steps[2].body);
  EXPECT_EQ(ap.elem, Bytes(8));
  EXPECT_EQ(ap.times, 3);
  EXPECT_EQ(std::get<DropStep>(back.steps[3].body).fraction, 0.9);
  EXPECT_TRUE(std::get<DropStep>(back.steps[5].body).all);
  EXPECT_EQ(std::get<GoroutinesStep>(back.steps.back().body).count, 1000);
}

// A step's name travels to the driver as step_name (empty when none) and reads back.
TEST(ValidateScenarioJson, CarriesStepNames) {
  const Scenario s = parseScenario(
      "about: x\nsteps:\n  - run: {name: burst, for: 1s}\n  - gc\n", "n.yaml");
  const std::string j = scenarioToJson(s);
  EXPECT_TRUE(contains(j, "\"step_name\": \"burst\"")) << j;
  EXPECT_TRUE(contains(j, "\"step_name\": \"\"")) << j;
  const Scenario back = scenarioFromJson(j, "n.json");
  EXPECT_EQ(back.steps[0].name, "burst");
  EXPECT_EQ(back.steps[0].label, "run");
  EXPECT_EQ(back.steps[1].name, "");
}

TEST(ValidateScenarioJson, OtherProcessAndThpRoundTrip) {
  const Scenario s = parseScenario(
      "about: x\nmachine: {memory: 4GiB, thp: always}\nsteps:\n  - other_process: {name: db, rss: 3GiB}\n", "o.yaml");
  const std::string j = scenarioToJson(s);
  EXPECT_TRUE(contains(j, "\"thp\": \"always\""));
  EXPECT_TRUE(contains(j, "\"kind\": \"other_process\""));
  EXPECT_TRUE(contains(j, "\"rss_bytes\": 3221225472"));
  const Scenario back = scenarioFromJson(j, "o.json");
  EXPECT_EQ(back.machine.thp, "always");
  EXPECT_EQ(std::get<OtherProcessStep>(back.steps[0].body).name, "db");
  EXPECT_EQ(std::get<OtherProcessStep>(back.steps[0].body).rss, GiB(3));
  EXPECT_EQ(scenarioToJson(back), j);
}

TEST(ValidateScenarioJson, ReadsStrictlyAndNamesTheLine) {
  const std::string j = scenarioToJson(everyKind());
  std::string unknown = j;
  unknown.replace(unknown.find("\"format\": 2,"), 12, "\"format\": 2,\n  \"extra\": 2,");
  try {
    scenarioFromJson(unknown, "s.json");
    FAIL() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), "s.json");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 12);
    EXPECT_TRUE(contains(e.what(), "unknown key 'extra'")) << e.what();
  }
  std::string missing = j;
  missing.replace(missing.find("\"about\""), 7, "\"abuot\"");
  try {
    scenarioFromJson(missing, "s.json");
    FAIL() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    EXPECT_TRUE(contains(e.what(), "missing key 'about'")) << e.what();
  }
  std::string wrongType = j;
  wrongType.replace(wrongType.find("\"gomaxprocs\": 3"), 15, "\"gomaxprocs\": \"3\"");
  try {
    scenarioFromJson(wrongType, "s.json");
    FAIL() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    EXPECT_TRUE(contains(e.what(), "runtime: gomaxprocs: expected a whole number")) << e.what();
    EXPECT_GT(e.line(), 1);
  }
  std::string wrongFormat = j;
  wrongFormat.replace(wrongFormat.find("\"format\": 2"), 11, "\"format\": 9");
  EXPECT_THROW(scenarioFromJson(wrongFormat, "s.json"), ScenarioError);
  EXPECT_THROW(scenarioFromJson("{\"format\": 2", "s.json"), ScenarioError);
  EXPECT_THROW(scenarioFromJson(j + "x", "s.json"), ScenarioError);
}

// ---------------------------------------------------------------------------------------------
// Series, statistics, errors

TEST(ValidateCompare, InterpolatesRampsAndStepsExactly) {
  const std::vector<double> t{0, 10}, v{0, 100};
  EXPECT_DOUBLE_EQ(interpolateAt(t, v, 2.5), 25.0);
  EXPECT_DOUBLE_EQ(interpolateAt(t, v, -1), 0.0);
  EXPECT_DOUBLE_EQ(interpolateAt(t, v, 11), 100.0);
  // A step at t=5, written as two samples at the same instant: right-continuous.
  const std::vector<double> st{0, 5, 5, 10}, sv{0, 0, 10, 10};
  EXPECT_DOUBLE_EQ(interpolateAt(st, sv, 5), 10.0);
  EXPECT_DOUBLE_EQ(interpolateAt(st, sv, 4.5), 0.0);
  // NaN samples are skipped.
  EXPECT_DOUBLE_EQ(interpolateAt({0, 1, 2}, {0, kNaN, 20}, 1), 10.0);
  EXPECT_TRUE(std::isnan(interpolateAt({0, 1}, {kNaN, kNaN}, 0.5)));
}

TEST(ValidateCompare, PeakFinalAndTimeWeightedMean) {
  const SeriesStats ramp = seriesStats({0, 10}, {0, 100});
  EXPECT_DOUBLE_EQ(ramp.peak, 100);
  EXPECT_DOUBLE_EQ(ramp.final, 100);
  EXPECT_DOUBLE_EQ(ramp.mean, 50);
  const SeriesStats step = seriesStats({0, 5, 5, 10}, {0, 0, 10, 10});
  EXPECT_DOUBLE_EQ(step.mean, 5);
  // Unevenly spaced samples weigh by time: 1 for 9 s, then a ramp 1 -> 3 over 1 s.
  const SeriesStats uneven = seriesStats({0, 9, 10}, {1, 1, 3});
  EXPECT_DOUBLE_EQ(uneven.mean, (9 * 1 + 1 * 2) / 10.0);
  EXPECT_DOUBLE_EQ(seriesStats({3}, {7}).mean, 7);
}

TEST(ValidateCompare, RelativeErrors) {
  EXPECT_DOUBLE_EQ(relativeError(110, 100), 0.1);
  EXPECT_DOUBLE_EQ(relativeError(90, 100), -0.1);
  EXPECT_EQ(relativeError(0, 0), 0);
  EXPECT_TRUE(std::isinf(relativeError(1, 0)));
  EXPECT_TRUE(std::isnan(relativeError(kNaN, 1)));
  Eigen::VectorXd sim(3), real(3);
  sim << 1, 2, 3;
  real << 1, 2, 4;
  EXPECT_DOUBLE_EQ(relativeL2(sim, real), 1 / std::sqrt(21.0));
  EXPECT_EQ(relativeL2(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Zero(2)), 0);
}

// A trace from rows of (time, step, rss) plus an optional second column.
Trace makeTrace(const std::vector<std::tuple<double, std::string, double>>& rows) {
  Trace t;
  t.names = {"rss"};
  for (const auto& [time, step, rss] : rows) {
    t.time.push_back(time);
    t.step.push_back(step);
    t.cols["rss"].push_back(rss);
  }
  return t;
}

TEST(ValidateCompare, AlignsRealStepEndsOntoSimulatedOnes) {
  // gomemsim: the live set ends at 2 s, the idle at 3 s. Real: at 1 s and 2 s.
  const Trace sim = makeTrace({{0, "start", 0}, {1, "live_set:a", 0}, {2, "live_set:a", 0}, {3, "idle", 0}});
  const Trace real = makeTrace({{0, "start", 0}, {0.5, "live_set:a", 0}, {1, "live_set:a", 0}, {1.5, "idle", 0},
                                {2, "idle", 0}, {2.5, "idle", 0}});
  std::string note;
  // Real live set (0, 1] onto (0, 2], real idle (1, 2] onto (2, 3].
  const std::vector<double> a = alignRealTimes(sim, makeTrace({{0, "start", 0}, {0.5, "live_set:a", 0},
                                                              {1, "live_set:a", 0}, {1.5, "idle", 0}, {2, "idle", 0}}),
                                               AlignMode::Steps, &note);
  EXPECT_EQ(a, (std::vector<double>{0, 1, 2, 2.5, 3}));
  EXPECT_TRUE(note.empty());
  const std::vector<double> b = alignRealTimes(sim, real, AlignMode::Steps, &note);
  // real's idle run ends at 2.5 (its last row), mapped onto sim's 3.
  EXPECT_DOUBLE_EQ(b[3], 2 + 0.5 * (1 / 1.5));
  EXPECT_DOUBLE_EQ(b[5], 3);
  EXPECT_EQ(alignRealTimes(sim, real, AlignMode::Time, &note), real.time);
}

TEST(ValidateCompare, AlignmentFallsBackToTimeWhenStepsDiffer) {
  const Trace sim = makeTrace({{0, "start", 0}, {1, "gc", 0}});
  const Trace real = makeTrace({{0, "start", 0}, {1, "idle", 0}});
  std::string note;
  EXPECT_EQ(alignRealTimes(sim, real, AlignMode::Steps, &note), real.time);
  EXPECT_TRUE(contains(note, "aligned by time")) << note;
}

TEST(ValidateCompare, ComparesPeakFinalMeanAndAlignedL2) {
  // gomemsim ramps 0 -> 100 over 10 s; real stays at 50.
  const Trace sim = makeTrace({{0, "start", 0}, {10, "idle", 100}});
  const Trace real = makeTrace({{0, "start", 50}, {5, "idle", 50}, {10, "idle", 50}});
  const Comparison c = compareTraces(sim, real, AlignMode::Time);
  auto row = [&](const std::string& stat) {
    for (const auto& r : c.rows)
      if (r.metric == "rss" && r.stat == stat) return r;
    ADD_FAILURE() << "no row " << stat;
    return MetricRow{};
  };
  EXPECT_DOUBLE_EQ(row("peak").relErr, 1.0);   // 100 vs 50
  EXPECT_DOUBLE_EQ(row("final").relErr, 1.0);  // 100 vs 50
  EXPECT_DOUBLE_EQ(row("mean").relErr, 0.0);   // 50 vs 50
  // Aligned at gomemsim's samples t=0 and 10: sim (0, 100) vs real (50, 50).
  EXPECT_DOUBLE_EQ(row("l2").relErr, 1.0);  // ||(-50, 50)|| / ||(50, 50)||
  EXPECT_TRUE(contains(validateCsv(c), "rss,peak,100,50,1\n")) << validateCsv(c);
  const std::string overlay = overlayCsv(sim, real, c);
  EXPECT_TRUE(contains(overlay, "time_s,real_time_s,step,sim_rss,real_rss\n")) << overlay;
  EXPECT_TRUE(contains(overlay, "10.0000,10.0000,idle,100,50\n")) << overlay;
}

// ---------------------------------------------------------------------------------------------
// Release times

TEST(ValidateRelease, TimeUntilRssSettlesAfterADrop) {
  // 1000 until a drop at t=10; RSS holds until 15, falls to 500 at 16 and 100 from 17 on; the
  // idle runs to t=30, then a run step starts (ending the quiet period).
  std::vector<std::tuple<double, std::string, double>> rows = {{0, "start", 0}, {5, "live_set:a", 1000},
                                                               {10, "live_set:a", 1000}, {10, "drop:a", 1000}};
  for (int t = 11; t <= 30; ++t) rows.emplace_back(t, "idle", t <= 15 ? 1000 : t == 16 ? 500 : 100);
  rows.emplace_back(31, "run", 900);
  const auto ev = releaseEvents(makeTrace(rows));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].label, "drop:a");
  EXPECT_DOUBLE_EQ(ev[0].time, 10);
  EXPECT_DOUBLE_EQ(ev[0].quietEnd, 30);
  EXPECT_DOUBLE_EQ(ev[0].target, 100);
  EXPECT_DOUBLE_EQ(ev[0].before, 1000);
  EXPECT_DOUBLE_EQ(ev[0].releaseS, 7);  // first within 10 % of 100: t=17
}

TEST(ValidateRelease, FreeOsMemoryReleasesAtOnceAndFallsAreEvents) {
  // free_os_memory at 2 releases everything at once; later a fall from 800 to 200 within 2 s
  // during an idle, with no step event.
  const Trace t = makeTrace({{0, "start", 100},   {1, "live_set:a", 900}, {2, "free_os_memory", 100},
                             {3, "idle", 100},    {4, "live_set:b", 800}, {5, "idle", 800},
                             {6, "idle", 700},    {7, "idle", 200},       {8, "idle", 200}});
  const auto ev = releaseEvents(t);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].label, "free_os_memory");
  EXPECT_DOUBLE_EQ(ev[0].releaseS, 0);
  EXPECT_DOUBLE_EQ(ev[0].before - ev[0].target, 800);
  EXPECT_DOUBLE_EQ(ev[0].quietEnd, 3);  // live_set:b starts at 4
  EXPECT_EQ(ev[1].label, "fall");
  EXPECT_DOUBLE_EQ(ev[1].time, 5);  // the last sample at the high before the fall (800 at t=4 and 5)
  EXPECT_DOUBLE_EQ(ev[1].before, 800);
  EXPECT_DOUBLE_EQ(ev[1].target, 200);
  EXPECT_DOUBLE_EQ(ev[1].releaseS, 2);
}

TEST(ValidateRelease, PairsEventsAcrossTraces) {
  const Trace sim = makeTrace({{0, "start", 100}, {1, "drop_all", 1000}, {2, "idle", 1000}, {3, "idle", 100}});
  const Trace real = makeTrace({{0, "start", 100}, {1, "drop_all", 1000}, {2, "idle", 100}, {3, "idle", 100}});
  const Comparison c = compareTraces(sim, real, AlignMode::Steps);
  bool found = false;
  for (const auto& r : c.rows) {
    if (r.stat != "release_s:drop_all#1") continue;
    found = true;
    EXPECT_DOUBLE_EQ(r.sim, 2);
    EXPECT_DOUBLE_EQ(r.real, 1);
    EXPECT_DOUBLE_EQ(r.relErr, 1.0);
  }
  EXPECT_TRUE(found);
}

// ---------------------------------------------------------------------------------------------
// Tolerances and trace files

TEST(ValidateTolerance, ParsesAndRejects) {
  const auto t = parseTolerances("rss=0.2,heap_alloc.peak=0.05,rss.release=1,num_gc.l2=0");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1].metric, "heap_alloc");
  EXPECT_EQ(t[1].stat, "peak");
  EXPECT_DOUBLE_EQ(t[1].rel, 0.05);
  EXPECT_TRUE(parseTolerances("").empty());
  for (const char* bad : {"rss", "rss=x", "rss=-1", "nosuch=0.1", "rss.max=0.1", "heap_alloc.release=1"}) {
    try {
      parseTolerances(bad);
      ADD_FAILURE() << bad;
    } catch (const ValidateError& e) {
      EXPECT_EQ(e.exitStatus(), 2);
      EXPECT_TRUE(contains(e.what(), "expected METRIC[.STAT]=REL")) << e.what();
    }
  }
}

TEST(ValidateTolerance, ExceededToleranceMeansExitStatus3) {
  Comparison c;
  c.rows = {{"rss", "peak", 110, 100, 0.1},       {"rss", "final", 80, 100, -0.2},
            {"rss", "l2", kNaN, kNaN, 0.5},        {"heap_alloc", "peak", 1, 1, 0},
            {"rss", "release_s:drop_all#1", 2, 1, 1}, {"rss", "mean", kNaN, 1, kNaN}};
  EXPECT_TRUE(toleranceViolations(c, parseTolerances("rss=0.25,heap_alloc=0")).empty());
  EXPECT_EQ(toleranceExitStatus({}), 0);
  const auto v = toleranceViolations(c, parseTolerances("rss=0.15"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(contains(v[0], "rss final")) << v[0];
  EXPECT_EQ(toleranceExitStatus(v), 3);
  EXPECT_EQ(toleranceViolations(c, parseTolerances("rss.l2=0.4")).size(), 1u);
  EXPECT_EQ(toleranceViolations(c, parseTolerances("rss.release=0.5")).size(), 1u);
  EXPECT_TRUE(toleranceViolations(c, parseTolerances("rss.release=1")).empty());
}

TEST(ValidateTrace, ReadsCsvWithEmptyCellsAndQuotes) {
  const Trace t = traceFromCsv("time_s,step,rss,lazy_free\n0.5,start,10,\n1.0,\"drop:a,b\",20,3\n", "t.csv");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.step[1], "drop:a,b");
  EXPECT_TRUE(std::isnan(t.cols.at("lazy_free")[0]));
  EXPECT_EQ(t.cols.at("lazy_free")[1], 3);
  try {
    traceFromCsv("time_s,step,rss\n0,start,1\n1,idle\n", "t.csv");
    FAIL();
  } catch (const ValidateError& e) {
    EXPECT_TRUE(contains(e.what(), "t.csv:3")) << e.what();
  }
  EXPECT_THROW(traceFromCsv("time,rss\n", "t.csv"), ValidateError);
  EXPECT_THROW(traceFromCsv("time_s,step,rss\n0,start,abc\n", "t.csv"), ValidateError);
}

TEST(ValidateTrace, GosNoGoalReadsAsGomemsimsZero) {
  // GOGC=off, no limit: Go 1.19 reports 9223372036779078959 B, gomemsim writes 0.
  const Trace t = traceFromCsv("time_s,step,heap_goal\n0,start,9223372036779078959\n1,idle,4194304\n", "t.csv");
  EXPECT_EQ(t.cols.at("heap_goal")[0], 0);
  EXPECT_EQ(t.cols.at("heap_goal")[1], 4194304);
}

// ---------------------------------------------------------------------------------------------
// End to end on the real runtime (skipped without a go toolchain)

const char* kTiny = R"(name: tiny
about: a small live set, dropped, then runtime.GC and debug.FreeOSMemory
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
sample_every: 50ms
steps:
  - live_set: {name: cache, grow_to: 32MiB, size: {choice: [256B, 1KiB, 4KiB]}}
  - idle: 300ms
  - drop: {set: cache}
  - gc
  - free_os_memory
  - idle: 300ms
)";

const std::string kBinary = GOMEMSIM_BINARY;
const std::string kCache = (fs::path(kBinary).parent_path() / "validate-cache").string();

class ValidateRealGo : public ::testing::Test {
 protected:
  void SetUp() override {
    go_ = findGoFor(parseGoVersion("1.19"));  // the scenarios below say go: "1.19"
    if (go_.empty()) GTEST_SKIP() << "no Go 1.19 toolchain installed (found: " << describeGoToolchains() << ")";
    driver_ = buildDriver(go_, driverSourceDir(), kCache);
    tmpl_ = (fs::temp_directory_path() / "gomemsim-validate-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl_.data()), nullptr);
    work_ = tmpl_;
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }
  std::string go_, driver_, tmpl_, work_;
};

double lastOf(const Trace& t, const std::string& step, const std::string& col) {
  double v = kNaN;
  for (size_t i = 0; i < t.size(); ++i)
    if (t.step[i] == step) v = t.cols.at(col)[i];
  return v;
}

TEST_F(ValidateRealGo, TinyScenarioMatchesOnTheRealRuntime) {
  const Scenario s = parseScenario(kTiny, "tiny.yaml");
  const DriverRun run = runDriver(driver_, s, work_, false);
  const Trace real = traceFromCsv(run.traceCsv, "real/trace.csv");
  ASSERT_GE(real.size(), 8u);
  EXPECT_EQ(real.names, traceFromSim(Simulation(s).run()).names) << "the same columns as gomemsim's trace.csv";
  for (double rss : real.cols.at("rss")) EXPECT_GT(rss, 0);
  // runtime.GC() counted: num_gc at the end of the gc step exceeds it before the step. The
  // sampler tags its periodic rows with the current step, so a "gc" row can come before
  // runtime.GC() returns (then it equals the row before it) or after the step's own row; only
  // the last "gc" row is sure to follow the GC, and the row before the first one to precede it.
  size_t firstGc = 0, lastGc = 0;
  for (size_t i = 0; i < real.size(); ++i) {
    if (real.step[i] != "gc") continue;
    if (firstGc == 0) firstGc = i;
    lastGc = i;
  }
  ASSERT_GT(firstGc, 0u);
  EXPECT_GT(real.cols.at("num_gc")[lastGc], real.cols.at("num_gc")[firstGc - 1]);
  // FreeOSMemory gives the heap back: RSS ends well below its peak (by most of the live set).
  const auto& rss = real.cols.at("rss");
  EXPECT_LT(lastOf(real, "free_os_memory", "rss"), *std::max_element(rss.begin(), rss.end()) - 24.0 * 1048576);
  EXPECT_TRUE(contains(run.gctrace, "(forced)")) << "gctrace on stderr";
  // gomemsim and the real runtime agree on HeapAlloc right after the live set.
  Simulation sim(s);
  const Trace simTrace = traceFromSim(sim.run());
  const double simAlloc = lastOf(simTrace, "live_set:cache", "heap_alloc");
  const double realAlloc = lastOf(real, "live_set:cache", "heap_alloc");
  EXPECT_NEAR(simAlloc / realAlloc, 1.0, 0.2) << simAlloc << " vs " << realAlloc;
  EXPECT_NEAR(lastOf(real, "live_set:cache", "reachable"), 32.0 * 1048576, 4096);
}

TEST_F(ValidateRealGo, DriverReadsEveryStepKind) {
  // -check decodes with DisallowUnknownFields: every key the C++ side writes is known to Go.
  Scenario s = everyKind();
  s.runtime.go_version = "1.19";
  EXPECT_NO_THROW(runDriver(driver_, s, work_, true));
}

// The driver's trace.csv shows a named step's name in its step column, as gomemsim's does.
TEST_F(ValidateRealGo, DriverShowsStepNames) {
  Scenario s = parseScenario(kTiny, "tiny.yaml");
  s.steps[0].name = "fill";
  s.steps[3].name = "collect";
  const Trace real = traceFromCsv(runDriver(driver_, s, work_, false).traceCsv, "real/trace.csv");
  const Trace sim = traceFromSim(Simulation(s).run());
  for (const Trace* t : {&real, &sim}) {
    EXPECT_NE(std::find(t->step.begin(), t->step.end(), "fill"), t->step.end());
    EXPECT_NE(std::find(t->step.begin(), t->step.end(), "collect"), t->step.end());
    EXPECT_EQ(std::find(t->step.begin(), t->step.end(), "live_set:cache"), t->step.end());
    EXPECT_NE(std::find(t->step.begin(), t->step.end(), "drop:cache"), t->step.end()) << "unnamed steps keep their label";
  }
}

TEST_F(ValidateRealGo, RefusesWhatTheRealRuntimeCannotDo) {
  Scenario s = parseScenario(kTiny, "tiny.yaml");
  s.runtime.scavenger = "none";
  s.machine.cgroup_limit = MiB(512);
  s.runtime.go_version = "1.22";
  AppendStep odd;
  odd.slice = "s";
  odd.add = KiB(3);
  odd.elem = Bytes(3);
  s.steps.push_back(Step{"append:s", odd, {}, ""});
  s.steps.push_back(Step{"other_process:db=1GiB", OtherProcessStep{"db", GiB(1)}, {}, ""});
  try {
    runDriver(driver_, s, work_, true);
    FAIL() << "expected a refusal";
  } catch (const ValidateError& e) {
    EXPECT_EQ(e.exitStatus(), 2);
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, "scavenger policy \"none\"")) << m;
    EXPECT_TRUE(contains(m, "go version 1.22")) << m;
    EXPECT_TRUE(contains(m, "cgroup_limit")) << m;
    EXPECT_TRUE(contains(m, "append with elem 3 B")) << m;
    EXPECT_TRUE(contains(m, "other_process: the driver does not start other programs")) << m;
  }
}

TEST_F(ValidateRealGo, DriverGoTestsPass) {
  // driver_test.go: stack sizes, pprof scaling, the lifetime wheel, fraction drops, draws.
  const std::string log = work_ + "/go-test.log";
  const int rc = runProcess({go_, "test", "-count=1", "."}, {"GOFLAGS=", "GOWORK=off", "GOPROXY=off", "CGO_ENABLED=0"},
                            driverSourceDir(), log, log);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(rc, 0) << text.str();
}

// Ctrl-C or SIGTERM while the real-Go program runs: validate stops the child (SIGTERM, then
// SIGKILL) and ends with RunInterrupted instead of waiting for it.
TEST(ValidateProcess, AStopRequestStopsTheChildProcess) {
  const std::string dir = ::testing::TempDir();
  requestStop(SIGTERM);
  try {
    runProcess({"/bin/sleep", "600"}, {}, "", dir + "/sleep.out", dir + "/sleep.err");
    ADD_FAILURE() << "runProcess returned instead of throwing RunInterrupted";
  } catch (const RunInterrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
    EXPECT_NE(std::string(e.what()).find("stopped by SIGTERM while sleep ran"), std::string::npos) << e.what();
  }
  requestStop(0);
  // A child that is not stopped runs to its end as before.
  EXPECT_EQ(runProcess({"/bin/sh", "-c", "exit 3"}, {}, "", dir + "/sh.out", dir + "/sh.err"), 3);
}

// The command line: exit statuses and outputs.
int runCli(const std::vector<std::string>& args, const std::string& dir, std::string* out, std::string* err) {
  std::vector<std::string> argv = {kBinary, "validate"};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = runProcess(argv, {}, "", dir + "/cli.out", dir + "/cli.err");
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  *out = slurp(dir + "/cli.out");
  *err = slurp(dir + "/cli.err");
  return rc;
}

TEST(ValidateCli, MissingGoIsAnInternalError) {
  const std::string dir = cli_testing::freshTempDir("validate-cli-nogo");  // per process
  std::string out, err;
  const int rc = runCli({std::string(GOMEMSIM_SOURCE_DIR) + "/scenarios/freeosmemory.yaml", "--go", "/nonexistent/go",
                         "--out", dir + "/out"},
                        dir, &out, &err);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(contains(err, "--go /nonexistent/go: not an executable go command")) << err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
  // No toolchain of the scenario's release installed: says which ones there are.
  EXPECT_EQ(runCli({std::string(GOMEMSIM_SOURCE_DIR) + "/scenarios/freeosmemory.yaml", "--set", "go=1.13", "--out",
                    dir + "/out"},
                   dir, &out, &err),
            1);
  EXPECT_TRUE(contains(err, "no Go 1.13 toolchain installed (found: ")) << err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
  EXPECT_EQ(runCli({std::string(GOMEMSIM_SOURCE_DIR) + "/scenarios/freeosmemory.yaml", "--tolerance", "rss=big"}, dir,
                   &out, &err),
            2);
  EXPECT_TRUE(contains(err, "--tolerance")) << err;
  fs::remove_all(dir);
}

// validate refuses, with exit 2 and before looking for Go, every knob the knob table marks as
// one real Go cannot be told (KnobRealGo::Refused), naming each, and writes nothing; a recorded
// run (--real) is refused the same way.
TEST(ValidateCli, RefusesKnobsRealGoCannotBeTold) {
  const std::string dir = cli_testing::freshTempDir("validate-cli-refused");  // per process
  const std::string src(GOMEMSIM_SOURCE_DIR);
  const std::string yaml = dir + "/params.yaml";
  std::ofstream(yaml) << "name: params\nabout: a scavenger parameter\n"
                         "runtime: {go: \"1.19\", scavenger_params: {idle_threshold: 5m}}\n"
                         "steps:\n  - idle: 1s\n";
  struct Case {
    std::vector<std::string> args;
    std::string knob;
  };
  const std::vector<Case> cases = {
      {{yaml}, "runtime.scavenger_params.idle_threshold"},
      {{src + "/scenarios/freeosmemory.yaml", "--set", "machine.memory=8GiB"}, "machine.memory"},
      {{src + "/scenarios/freeosmemory.yaml", "--set", "machine.baseline_rss=3MiB"}, "machine.baseline_rss"},
      {{src + "/scenarios/freeosmemory.yaml", "--set", "go=1.26", "--set", "goexperiment=nogreenteagc"},
       "runtime.goexperiment"},
      {{src + "/tools/fidelity/gc-then-idle.yaml", "--set", "machine.memory=8GiB", "--real",
        src + "/tests/fidelity/go1.19.8/gc-then-idle/run-1"},
       "machine.memory"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--go", "/nonexistent/go", "--out", dir + "/out"});
    std::string out, err;
    EXPECT_EQ(runCli(args, dir, &out, &err), 2) << c.knob << ": " << err;
    EXPECT_TRUE(contains(err, "the real runtime cannot be told")) << err;
    EXPECT_TRUE(contains(err, c.knob + ": ")) << err;
    EXPECT_FALSE(fs::exists(dir + "/out")) << c.knob;
  }
  // Knobs the driver sets or checks itself pass this check (here to the missing --go).
  std::string out, err;
  EXPECT_EQ(runCli({src + "/scenarios/freeosmemory.yaml", "--set", "gogc=50", "--set", "machine.cpus=4", "--go",
                    "/nonexistent/go", "--out", dir + "/out"},
                   dir, &out, &err),
            1)
      << err;
  EXPECT_FALSE(contains(err, "cannot be told")) << err;
  fs::remove_all(dir);
}

TEST(ValidateCli, ComparesWithARecordedRealRunWithoutGo) {
  // --real: tests/fidelity keeps real Go 1.19 runs of the fidelity set; no go is needed.
  const std::string dir = cli_testing::freshTempDir("validate-cli-real");  // per process
  const std::string src(GOMEMSIM_SOURCE_DIR);
  std::string out, err;
  EXPECT_EQ(runCli({src + "/tools/fidelity/gc-then-idle.yaml", "--real", src + "/tests/fidelity/go1.19.8/gc-then-idle/run-1",
                    "--go", "/nonexistent/go", "--out", dir + "/out"},
                   dir, &out, &err),
            0)
      << err;
  EXPECT_TRUE(contains(out, "against the real run recorded in")) << out;
  EXPECT_TRUE(contains(out, "drop:burst#1")) << out;
  for (const char* f : {"validate.csv", "overlay.csv", "sim/trace.csv", "real/trace.csv", "real/steps.csv"})
    EXPECT_TRUE(fs::exists(dir + "/out/" + f)) << f;
  // A folder without a recorded run is bad input, and nothing is written.
  EXPECT_EQ(runCli({src + "/tools/fidelity/gc-then-idle.yaml", "--real", dir + "/nothing", "--out", dir + "/out2"}, dir,
                   &out, &err),
            2);
  EXPECT_TRUE(contains(err, "expected a recorded real run")) << err;
  EXPECT_FALSE(fs::exists(dir + "/out2"));
  fs::remove_all(dir);
}

TEST_F(ValidateRealGo, CliExitStatusesAndOutputs) {
  const std::string yaml = work_ + "/tiny.yaml";
  std::ofstream(yaml) << kTiny;
  std::string out, err;
  // A refused scenario: exit 2, the feature named, nothing written.
  EXPECT_EQ(runCli({yaml, "--set", "scavenger=none", "--out", work_ + "/refused", "--cache", kCache}, work_, &out, &err),
            2);
  EXPECT_TRUE(contains(err, "scavenger")) << err;
  EXPECT_FALSE(fs::exists(work_ + "/refused"));
  // A tolerance no real run meets (0 on the peak RSS): exit 3, outputs written, the row named.
  EXPECT_EQ(runCli({yaml, "--tolerance", "rss.peak=0", "--out", work_ + "/o", "--cache", kCache}, work_, &out, &err), 3)
      << err;
  EXPECT_TRUE(contains(err, "rss peak")) << err;
  EXPECT_TRUE(contains(out, "heap_alloc")) << out;
  for (const char* f : {"validate.csv", "overlay.csv", "sim/trace.csv", "sim/gctrace.log", "real/trace.csv",
                        "real/gctrace.log", "real/steps.csv"})
    EXPECT_TRUE(fs::exists(work_ + "/o/" + f)) << f;
}

// Named steps are still classified by kind: a copy of gc-then-idle with every step named,
// validated against its run recorded before the steps had names, aligns by steps and finds the
// drop's release event under its kind (drop:burst#1). --env twice applies both.
TEST(ValidateCli, NamedStepsKeepTheirKindAndEnvIsRepeatable) {
  const std::string dir = fs::temp_directory_path() / ("gomemsim-validate-named-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string src(GOMEMSIM_SOURCE_DIR);
  const std::string yaml = dir + "/gc-then-idle.yaml";
  std::ofstream(yaml) << "name: gc-then-idle\nabout: named steps\nruntime: {go: \"1.19\", gogc: 100, gomaxprocs: 2}\n"
                         "sample_every: 250ms\nsteps:\n"
                         "  - name: fill\n    live_set: {name: burst, grow_to: 500MB, size: 4KiB, over: 2s, pointers: false}\n"
                         "  - drop: {set: burst, name: let go}\n"
                         "  - name: collect\n    gc:\n"
                         "  - name: rest\n    idle: 15s\n";
  std::string out, err;
  ASSERT_EQ(runCli({yaml, "--real", src + "/tests/fidelity/go1.19.8/gc-then-idle/run-1", "--env", "GOGC=50", "--env",
                    "GOMAXPROCS=3", "--out", dir + "/out"},
                   dir, &out, &err),
            0)
      << err;
  EXPECT_TRUE(contains(out, "drop:burst#1")) << out;
  EXPECT_TRUE(contains(out, "(aligned by step ends)")) << out;
  EXPECT_FALSE(contains(out, "note:")) << "the steps align: " << out;
  EXPECT_TRUE(contains(out, "GOGC=50, GOMAXPROCS=3")) << out;
  std::ifstream trace(dir + "/out/sim/trace.csv");
  std::stringstream simTrace;
  simTrace << trace.rdbuf();
  EXPECT_TRUE(contains(simTrace.str(), ",let go,"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gomemsim
