#include "compare/compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "cli/cli_test_support.h"
#include "observe/outputs.h"

namespace gomemsim {
namespace {

using cli_testing::CmdResult;
using cli_testing::readFile;
using cli_testing::sh;

// A 200 MB live set built in 2 s over short-lived garbage, dropped, then 3 minutes idle: the
// forced GC two minutes after the last cycle frees the set and the scavenger returns it.
const char* kSmallScenario = R"(name: small-drop
about: A 200 MB live set over short-lived garbage, dropped, then three minutes idle.
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
sample_every: 1s
steps:
  - run:
      for: 2s
      alloc:
        - {rate: 100MB/s, size: 1KiB, lifetime: forever, set: cache}
        - {rate: 100MB/s, size: 512B, lifetime: {exponential: 50ms}}
  - drop: {set: cache}
  - idle: 3m
)";

std::string tempDir(const std::string& name) {
  return cli_testing::freshTempDir("compare-" + name);
}

Scenario smallScenario() { return parseScenario(kSmallScenario, "small.yaml"); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The ScenarioError message of f(), or "" if it did not throw one.
template <typename F>
std::string scenarioErrorOf(F f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

// --- grid expansion ---

TEST(CompareGrid, ParseVarySplitsKeyAndValues) {
  const VaryAxis a = parseVary("gogc=50, 100,off");
  EXPECT_EQ(a.key, "gogc");
  EXPECT_EQ(a.values, (std::vector<std::string>{"50", "100", "off"}));
  const VaryAxis g = parseVary("GODEBUG=madvdontneed=0,madvdontneed=1");
  EXPECT_EQ(g.key, "GODEBUG");
  EXPECT_EQ(g.values, (std::vector<std::string>{"madvdontneed=0", "madvdontneed=1"}));
}

TEST(CompareGrid, ParseVaryRejectsMalformedArguments) {
  EXPECT_NE(scenarioErrorOf([] { parseVary("gogc"); }).find("expected KEY=V1,V2"), std::string::npos);
  EXPECT_NE(scenarioErrorOf([] { parseVary("=50,100"); }).find("no key"), std::string::npos);
  EXPECT_NE(scenarioErrorOf([] { parseVary("gogc=50,,100"); }).find("value 2 is empty"), std::string::npos);
  EXPECT_NE(scenarioErrorOf([] { parseVary("gogc="); }).find("value 1 is empty"), std::string::npos);
  EXPECT_NE(scenarioErrorOf([] { parseVary("gogc=50,100,50"); }).find("'50' is given twice"), std::string::npos);
}

TEST(CompareGrid, EnvKeysAreUpperCaseGoNames) {
  EXPECT_TRUE(isEnvKey("GOGC"));
  EXPECT_TRUE(isEnvKey("GOMEMLIMIT"));
  EXPECT_TRUE(isEnvKey("GODEBUG"));
  EXPECT_FALSE(isEnvKey("gogc"));
  EXPECT_FALSE(isEnvKey("runtime.gogc"));
  EXPECT_FALSE(isEnvKey("GO"));
}

TEST(CompareGrid, CartesianProductFirstAxisSlowestWithLabelsAsWritten) {
  const Scenario base = smallScenario();
  const auto configs = expandGrid(base, {parseVary("scavenger=none,background-1.19"), parseVary("runtime.gogc=50,100,off")});
  ASSERT_EQ(configs.size(), 6u);
  const std::vector<std::string> labels = {
      "scavenger=none,runtime.gogc=50",           "scavenger=none,runtime.gogc=100",
      "scavenger=none,runtime.gogc=off",          "scavenger=background-1.19,runtime.gogc=50",
      "scavenger=background-1.19,runtime.gogc=100", "scavenger=background-1.19,runtime.gogc=off"};
  const std::vector<int64_t> gogc = {50, 100, -1, 50, 100, -1};
  for (size_t i = 0; i < configs.size(); ++i) {
    EXPECT_EQ(configs[i].label, labels[i]);
    EXPECT_EQ(configs[i].scenario.runtime.scavenger, i < 3 ? "none" : "background-1.19");
    EXPECT_EQ(configs[i].scenario.runtime.gogc, gogc[i]);
    EXPECT_EQ(configs[i].scenario.steps.size(), base.steps.size());
  }
}

TEST(CompareGrid, UpperCaseKeysGoThroughTheEnvironment) {
  const auto configs = expandGrid(smallScenario(), {parseVary("GOGC=off,25"), parseVary("GOMEMLIMIT=1GiB,off"),
                                                    parseVary("GODEBUG=madvdontneed=0")});
  ASSERT_EQ(configs.size(), 4u);
  EXPECT_EQ(configs[0].label, "GOGC=off,GOMEMLIMIT=1GiB,GODEBUG=madvdontneed=0");
  EXPECT_EQ(configs[0].scenario.runtime.gogc, -1);
  EXPECT_EQ(configs[0].scenario.runtime.memory_limit, GiB(1));
  EXPECT_EQ(configs[1].scenario.runtime.memory_limit, std::nullopt);
  EXPECT_EQ(configs[2].scenario.runtime.gogc, 25);
  EXPECT_EQ(configs[3].scenario.runtime.godebug, "madvdontneed=0");
}

TEST(CompareGrid, BadKeysAndValuesNameTheVaryAndTheValue) {
  const Scenario base = smallScenario();
  const std::string badValue = scenarioErrorOf([&] { expandGrid(base, {parseVary("gogc=50,banana")}); });
  EXPECT_EQ(badValue.rfind("--vary:", 0), 0u) << badValue;
  EXPECT_NE(badValue.find("--vary gogc=50,banana: cannot set gogc=banana: "), std::string::npos) << badValue;
  EXPECT_NE(badValue.find("runtime.gogc: expected a whole percentage"), std::string::npos) << badValue;

  const std::string badKey = scenarioErrorOf([&] { expandGrid(base, {parseVary("nosuch=1,2")}); });
  EXPECT_NE(badKey.find("--vary nosuch=1,2: cannot set nosuch=1: "), std::string::npos) << badKey;
  EXPECT_NE(badKey.find("unknown key 'nosuch'"), std::string::npos) << badKey;

  const std::string badEnv = scenarioErrorOf([&] { expandGrid(base, {parseVary("GOMEMLIMIT=lots")}); });
  EXPECT_NE(badEnv.find("--vary GOMEMLIMIT=lots: cannot set GOMEMLIMIT=lots: GOMEMLIMIT: expected a byte count"), std::string::npos) << badEnv;

  // A second-axis value that is fine alone but not with the first axis' policy.
  const std::string combo = scenarioErrorOf([&] {
    expandGrid(base, {parseVary("scavenger=none"), parseVary("runtime.scavenger_params.cpu_fraction=2%")});
  });
  EXPECT_NE(combo.find("cannot set runtime.scavenger_params.cpu_fraction=2% in configuration "
                       "scavenger=none,runtime.scavenger_params.cpu_fraction=2%: "), std::string::npos)
      << combo;

  // A policy name the simulator does not know is refused like any bad value.
  const std::string pacer = scenarioErrorOf([&] { expandGrid(base, {parseVary("pacer=go1.19,bogus")}); });
  EXPECT_NE(pacer.find("cannot set pacer=bogus: runtime.pacer: expected auto or a pacer policy"), std::string::npos)
      << pacer;

  const std::string twice = scenarioErrorOf([&] { expandGrid(base, {parseVary("gogc=50"), parseVary("gogc=100")}); });
  EXPECT_NE(twice.find("already varied"), std::string::npos) << twice;
}

// --- the settle time, on hand-built results ---

SimResult trace(const std::vector<std::tuple<double, std::string, int64_t>>& rows) {
  SimResult r;
  for (const auto& [t, step, rss] : rows) {
    TraceRow row{step, {}, step, -1};
    row.mem.timeS = t;
    row.mem.rss = Bytes(rss);
    r.rows.push_back(row);
  }
  return r;
}

TEST(CompareSettle, FromTheLastDropUntilRssStaysWithinTenPercentOfFinal) {
  // final = 100: within 10 % means 90..110. The dip to 100 at t=3 does not count: it leaves
  // the band again at t=4. 110 at t=5 is on the boundary (|110-100| * 10 == 100).
  const SimResult r = trace({{0, "start", 10},
                             {1, "live_set:cache", 1000},
                             {2, "drop:old", 1000},
                             {2, "drop:cache", 1000},
                             {3, "idle", 100},
                             {4, "idle", 300},
                             {5, "idle", 110},
                             {6, "idle", 100}});
  const SettleTime t = settleAfterDrop(r);
  ASSERT_EQ(t.kind, SettleTime::Kind::Settled);
  EXPECT_DOUBLE_EQ(t.fromTimeS, 2);
  EXPECT_EQ(t.fromStep, "drop:cache");
  EXPECT_DOUBLE_EQ(t.seconds, 3);
}

// A named drop is found by its kind, shown by its name; two drop_all steps in a row are two
// steps (by index), and the settle time runs from the later one.
TEST(CompareSettle, NamedStepsCountByKindAndStepsSplitByIndex) {
  SimResult r = trace({{0, "start", 10},
                       {1, "live_set:cache", 1000},
                       {2, "let go", 1000},
                       {3, "idle", 500},
                       {4, "idle", 100},
                       {5, "idle", 100}});
  r.rows[2].kind = "drop:cache";
  r.rows[1].stepIndex = 0;
  r.rows[2].stepIndex = 1;
  r.rows[3].stepIndex = r.rows[4].stepIndex = r.rows[5].stepIndex = 2;
  SettleTime t = settleAfterDrop(r);
  ASSERT_EQ(t.kind, SettleTime::Kind::Settled);
  EXPECT_EQ(t.fromStep, "let go");
  EXPECT_DOUBLE_EQ(t.fromTimeS, 2);
  EXPECT_DOUBLE_EQ(t.seconds, 2);
  SimResult two =
      trace({{0, "start", 10}, {1, "drop_all", 1000}, {2, "drop_all", 1000}, {3, "idle", 100}, {4, "idle", 100}});
  two.rows[1].stepIndex = 0;
  two.rows[2].stepIndex = 1;
  two.rows[3].stepIndex = two.rows[4].stepIndex = 2;
  t = settleAfterDrop(two);
  EXPECT_DOUBLE_EQ(t.fromTimeS, 2) << "the second drop_all step starts at its own row";
}

TEST(CompareSettle, AlreadyWithinTheBandAtTheDropIsZero) {
  const SimResult r =
      trace({{0, "start", 10}, {0.5, "free_os_memory", 1000}, {1, "drop_all", 95}, {2, "idle", 100}, {3, "idle", 100}});
  const SettleTime t = settleAfterDrop(r);
  ASSERT_EQ(t.kind, SettleTime::Kind::Settled);
  EXPECT_EQ(t.fromStep, "drop_all");
  EXPECT_DOUBLE_EQ(t.seconds, 0);
}

TEST(CompareSettle, MeasuresFromTheFirstSampleOfTheLastDropStep) {
  // A step that spans samples: its first row is the sample at or after its start.
  const SimResult r = trace({{0, "start", 1000},
                             {1, "drop_all", 1000},
                             {2, "drop_all", 1000},
                             {3, "idle", 400},
                             {4, "idle", 200},
                             {5, "idle", 200}});
  const SettleTime t = settleAfterDrop(r);
  ASSERT_EQ(t.kind, SettleTime::Kind::Settled);
  EXPECT_DOUBLE_EQ(t.fromTimeS, 1);
  EXPECT_DOUBLE_EQ(t.seconds, 3);
}

TEST(CompareSettle, WithoutADropTheLastFreeOsMemoryCounts) {
  const SimResult r = trace({{0, "start", 10},
                             {1, "free_os_memory", 500},
                             {2, "run", 900},
                             {3, "free_os_memory", 900},
                             {4, "idle", 500},
                             {5, "idle", 200},
                             {6, "idle", 200}});
  const SettleTime t = settleAfterDrop(r);
  ASSERT_EQ(t.kind, SettleTime::Kind::Settled);
  EXPECT_DOUBLE_EQ(t.fromTimeS, 3);
  EXPECT_DOUBLE_EQ(t.seconds, 2);
}

TEST(CompareSettle, NoDropNorFreeOsMemoryIsNoDrop) {
  const SimResult r = trace({{0, "start", 10}, {1, "run", 900}, {2, "gc", 500}, {3, "idle", 100}});
  EXPECT_EQ(settleAfterDrop(r).kind, SettleTime::Kind::NoDrop);
  EXPECT_EQ(settleAfterDrop(SimResult{}).kind, SettleTime::Kind::NoDrop);
}

TEST(CompareSettle, NeverSettlesWhenOnlyTheLastSampleIsWithinTheBand) {
  // 111 is just outside 100 +- 10 %.
  const SimResult r = trace({{0, "start", 1000}, {1, "drop:cache", 1000}, {2, "idle", 111}, {3, "idle", 100}});
  const SettleTime t = settleAfterDrop(r);
  EXPECT_EQ(t.kind, SettleTime::Kind::NeverSettled);
  EXPECT_DOUBLE_EQ(t.fromTimeS, 1);
  // A drop that is the last sample leaves nothing to judge by.
  EXPECT_EQ(settleAfterDrop(trace({{0, "start", 10}, {1, "drop_all", 100}})).kind, SettleTime::Kind::NeverSettled);
}

TEST(CompareSettle, TableAndCsvShowTheThreeKinds) {
  const SimResult settled = trace({{0, "drop_all", 1000}, {1, "idle", 100}, {2, "idle", 100}});
  const SimResult never = trace({{0, "drop_all", 1000}, {1, "idle", 100}});
  const SimResult none = trace({{0, "start", 1000}, {1, "idle", 100}});
  const std::vector<CompareRow> rows = {compareRow("a", settled), compareRow("b", never), compareRow("c", none)};
  const auto csv = lines(compareCsv(rows));
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_EQ(csv[1], "a,1000,0.0000,100,,settled,1.0000,0.0000,0,0,0,0,0,0,0,0,0");
  EXPECT_EQ(csv[2], "b,1000,0.0000,100,,never,,0.0000,0,0,0,0,0,0,0,0,0");
  EXPECT_EQ(csv[3], "c,1000,0.0000,100,,no_drop,,,0,0,0,0,0,0,0,0,0");
  Scenario s;
  s.name = "hand";
  const auto table = lines(compareTable(s, rows));
  ASSERT_GE(table.size(), 6u);
  EXPECT_EQ(table[0], "gomemsim compare: hand (3 configurations)");
  EXPECT_NE(table[3].find("1.0 s"), std::string::npos) << table[3];
  EXPECT_NE(table[4].find("never"), std::string::npos) << table[4];
  EXPECT_NE(table[5].find("  -  "), std::string::npos) << table[5];
}

TEST(CompareSettle, NeverWhenRssEndsLessThanTenPercentBelowItsValueBeforeTheDrop) {
  // A scavenger that never releases: RES stays where it was, which the band alone would call
  // settled at once (0 s, the best of the table).
  const SimResult kept = trace({{0, "start", 10}, {1, "live_set:a", 1000}, {2, "drop:a", 1000}, {3, "idle", 1000},
                                {4, "idle", 1000}});
  const SettleTime t = settleAfterDrop(kept);
  EXPECT_EQ(t.kind, SettleTime::Kind::NeverReleased);
  EXPECT_EQ(t.rssBefore, Bytes(1000));
  EXPECT_DOUBLE_EQ(t.fromTimeS, 2);
  // The boundary: 900 is exactly 10 % below 1000 (released, settled when it got there), 901 is not.
  const auto ending = [](int64_t final) {
    return trace({{0, "live_set:a", 1000}, {1, "drop:a", 1000}, {2, "idle", 950}, {3, "idle", final}, {4, "idle", final}});
  };
  const SettleTime at900 = settleAfterDrop(ending(900));
  EXPECT_EQ(at900.kind, SettleTime::Kind::Settled);
  EXPECT_DOUBLE_EQ(at900.seconds, 1);  // 950 is within 10 % of 900: settled from t = 2
  EXPECT_EQ(settleAfterDrop(ending(901)).kind, SettleTime::Kind::NeverReleased);
  const CompareRow row = compareRow("kept", kept);
  EXPECT_EQ(lines(compareCsv({row}))[1], "kept,1000,1.0000,1000,,never,,2.0000,0,0,0,0,0,0,0,0,0");
  Scenario s;
  s.name = "hand";
  EXPECT_NE(lines(compareTable(s, {row}))[3].find(" never "), std::string::npos);
}

SimResult oomKilledAt(double t) {
  SimResult r = trace({{0, "start", 10}, {1, "live_set:a", 1000}, {t, "oom_kill", 2000}});
  r.rows.back().mem.oomKilled = true;
  r.rows.back().mem.oomCgroup = true;
  r.rows.back().mem.oomLimit = Bytes(2000);
  return r;
}

// The index of the column named `name` in the header line of an aligned table or a CSV.
size_t columnOf(const std::string& header, const std::string& name, char sep) {
  std::vector<std::string> cols;
  if (sep == ',') {
    std::istringstream in(header);
    for (std::string c; std::getline(in, c, ',');) cols.push_back(c);
  } else {  // two or more spaces between columns
    size_t p = 0;
    while (p < header.size()) {
      size_t e = header.find("  ", p);
      if (e == std::string::npos) e = header.size();
      cols.push_back(header.substr(p, e - p));
      p = header.find_first_not_of(' ', e);
      if (p == std::string::npos) break;
    }
  }
  return static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
}

TEST(CompareOom, TheKillTimeIsAColumnOfTheTableAndTheCsv) {
  const std::vector<CompareRow> rows = {compareRow("killed", oomKilledAt(2.5)),
                                        compareRow("lived", trace({{0, "start", 10}, {1, "idle", 100}}))};
  EXPECT_TRUE(rows[0].oomKilled);
  EXPECT_DOUBLE_EQ(rows[0].oomKillTimeS, 2.5);
  EXPECT_FALSE(rows[1].oomKilled);
  // A killed run has no settle time, whatever its trace holds: it is "killed", not "-".
  EXPECT_EQ(rows[0].settle.kind, SettleTime::Kind::OomKilled);
  const auto csv = lines(compareCsv(rows));
  ASSERT_EQ(csv.size(), 3u);
  const size_t col = columnOf(csv[0], "oom_kill", ',');
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 1; i < 3; ++i) {
    std::istringstream in(csv[i] + ",");
    cells.emplace_back();
    for (std::string c; std::getline(in, c, ',');) cells.back().push_back(c);
  }
  ASSERT_LT(col, cells[0].size());
  EXPECT_EQ(cells[0][col], "2.5000");
  EXPECT_EQ(cells[1][col], "");
  EXPECT_EQ(cells[0][col + 1], "oom_killed");
  Scenario s;
  s.name = "hand";
  const auto table = lines(compareTable(s, rows));
  ASSERT_GE(table.size(), 5u);
  const size_t start = table[2].find("OOM kill");
  ASSERT_NE(start, std::string::npos) << table[2];
  // Right-aligned under its header: the cell ends where the header ends.
  const size_t end = start + std::string("OOM kill").size();
  EXPECT_EQ(table[3].substr(end - 5, 5), "2.5 s") << table[3];
  EXPECT_EQ(table[4].substr(end - 1, 1), "-") << table[4];
  EXPECT_EQ(table[4].substr(end - 2, 1), " ") << table[4];
  EXPECT_NE(table[3].find("killed"), std::string::npos);
}

TEST(CompareGctrace, OneFilePerConfigurationNamedFromItsLabelWithAnIndex) {
  std::vector<ConfigRun> runs = {{"a=b,c", SimResult{}}, {"a-b-c", SimResult{}}, {"GODEBUG=madvdontneed=0", SimResult{}},
                                 {"../x", SimResult{}}};
  runs[0].second.gctrace = {"gc 1 @0.010s 0%: x", "scav 0 KiB work"};
  runs[0].second.goVersion = "1.19";
  runs[0].second.scavenger = "none";
  EXPECT_EQ(gctraceFileNames(runs),
            (std::vector<std::string>{"a-b-c.log", "a-b-c~2.log", "GODEBUG-madvdontneed-0.log", "_..-x.log"}));
  const auto index = lines(gctraceIndexCsv(runs));
  ASSERT_EQ(index.size(), 5u);
  EXPECT_EQ(index[0], "file,config,go,scavenger,madvise,pacer,gc_lines");
  EXPECT_EQ(index[1], "a-b-c.log,\"a=b,c\",1.19,none,,,2");
  EXPECT_EQ(index[2], "a-b-c~2.log,a-b-c,,,,,0");
  EXPECT_EQ(gctraceLog(runs[0].second), "gc 1 @0.010s 0%: x\nscav 0 KiB work\n");
}

// --- running the grid ---

TEST(CompareRun, OutputsDoNotDependOnHowManyJobsRun) {
  const auto configs = expandGrid(smallScenario(), {parseVary("gogc=50,100"), parseVary("seed=1,2")});
  const auto serial = runGrid(configs, 1);
  const auto parallel = runGrid(configs, 4);
  ASSERT_EQ(serial.size(), 4u);
  ASSERT_EQ(parallel.size(), 4u);
  std::vector<CompareRow> a, b;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(serial[i].first, configs[i].label);
    EXPECT_EQ(parallel[i].first, configs[i].label);
    a.push_back(compareRow(serial[i].first, serial[i].second));
    b.push_back(compareRow(parallel[i].first, parallel[i].second));
  }
  EXPECT_EQ(combinedTraceCsv(serial), combinedTraceCsv(parallel));
  EXPECT_EQ(gctraceIndexCsv(serial), gctraceIndexCsv(parallel));
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(gctraceLog(serial[i].second), gctraceLog(parallel[i].second)) << i;
  EXPECT_EQ(compareCsv(a), compareCsv(b));
  // The seeds differ, so the runs are not all the same (the comparison above could not pass
  // by every run producing one trace).
  EXPECT_NE(traceCsv(serial[0].second), traceCsv(serial[1].second));
}

TEST(CompareRun, CombinedTraceHasAConfigColumnAndEveryRunsRows) {
  const auto runs = runGrid(expandGrid(smallScenario(), {parseVary("scavenger=none,background-1.19"),
                                                        parseVary("gogc=100")}),
                            0);
  ASSERT_EQ(runs.size(), 2u);
  const auto out = lines(combinedTraceCsv(runs));
  const auto single = lines(traceCsv(runs[0].second));
  ASSERT_EQ(out.size(), 1 + runs[0].second.rows.size() + runs[1].second.rows.size());
  EXPECT_EQ(out[0], "config," + single[0]);
  size_t k = 1;
  for (const auto& [label, r] : runs) {
    const auto own = lines(traceCsv(r));
    for (size_t i = 1; i < own.size(); ++i, ++k) ASSERT_EQ(out[k], "\"" + label + "\"," + own[i]) << k;
  }
  EXPECT_EQ(csvField("gogc=50"), "gogc=50");
  EXPECT_EQ(csvField("a,\"b\""), "\"a,\"\"b\"\"\"");
}

TEST(CompareRun, EndToEndLowerGogcPeaksNoHigherAndEveryFileIsWritten) {
  const std::string dir = tempDir("e2e") + "/out";
  const Scenario base = smallScenario();
  const auto runs = runGrid(expandGrid(base, {parseVary("gogc=50,100")}), 2);
  writeCompareOutputs(dir, base, runs);
  for (const char* f : {"trace.csv", "compare.csv", "gctrace/index.csv", "gctrace/gogc-50.log", "gctrace/gogc-100.log",
                        "report.html"}) {
    EXPECT_FALSE(readFile(dir + "/" + f).empty()) << f;
    EXPECT_FALSE(std::filesystem::exists(dir + "/" + f + ".tmp")) << f;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/gctrace.log"));
  const auto csv = lines(readFile(dir + "/compare.csv"));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].rfind("gogc=50,", 0), 0u);
  EXPECT_EQ(csv[2].rfind("gogc=100,", 0), 0u);
  const CompareRow low = compareRow(runs[0].first, runs[0].second), high = compareRow(runs[1].first, runs[1].second);
  EXPECT_LE(low.peakRss, high.peakRss);
  EXPECT_GT(low.numGc, high.numGc);
  // The drop is followed by three idle minutes: the forced GC frees the set and RES settles.
  EXPECT_EQ(high.settle.kind, SettleTime::Kind::Settled);
  EXPECT_EQ(high.settle.fromStep, "drop:cache");
  EXPECT_GT(high.releasedTotal, MiB(100));
  EXPECT_EQ(high.releasedTotal, high.releasedBackground + high.releasedEager + high.releasedForced);
  // Each configuration's gctrace is exactly what `run` writes: gctrace lines with nothing before them.
  const std::string gctrace = readFile(dir + "/gctrace/gogc-50.log");
  EXPECT_EQ(gctrace, gctraceLog(runs[0].second));
  EXPECT_EQ(gctrace.rfind("gc 1 @", 0), 0u);
  EXPECT_EQ(gctrace.find('['), std::string::npos);
  EXPECT_NE(readFile(dir + "/gctrace/gogc-100.log"), gctrace);
  EXPECT_EQ(lines(readFile(dir + "/gctrace/index.csv"))[2].rfind("gogc-100.log,gogc=100,1.19,", 0), 0u);
  EXPECT_NE(readFile(dir + "/report.html").find("gogc=100"), std::string::npos);
}

TEST(CompareRun, AScavengerThatNeverReleasesNeverSettles) {
  // The new user's case: scavenger=none keeps the dropped set resident; it must not read "0.0 s".
  const auto runs = runGrid(expandGrid(smallScenario(), {parseVary("scavenger=none,background-1.19")}), 2);
  const CompareRow none = compareRow(runs[0].first, runs[0].second), bg = compareRow(runs[1].first, runs[1].second);
  EXPECT_EQ(none.settle.kind, SettleTime::Kind::NeverReleased);
  EXPECT_EQ(none.releasedTotal, Bytes(0));
  EXPECT_EQ(bg.settle.kind, SettleTime::Kind::Settled);
  EXPECT_GT(bg.settle.seconds, 0);
  Scenario s = smallScenario();
  const auto table = lines(compareTable(s, {none, bg}));
  EXPECT_NE(table[4].find(" never "), std::string::npos) << table[4];
  EXPECT_EQ(table[4].find("0.0 s"), std::string::npos) << table[4];
}

// --- the command line ---

TEST(CompareCli, BadInputExitsTwoAndWritesNothing) {
  const std::string dir = tempDir("cli-bad");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << kSmallScenario;
  const std::string bin = std::string(GOMEMSIM_BINARY) + " compare " + file;
  struct Case {
    std::string args, expect;
  };
  const Case cases[] = {
      {"--vary gogc=50,banana", "--vary gogc=50,banana: cannot set gogc=banana: "},
      {"--vary nosuch=1", "unknown key 'nosuch'"},
      {"--vary gogc=50,,100", "value 2 is empty"},
      {"--vary gogc=50 --vary scavenger=none,bogus", "unknown scavenger policy 'bogus'"},
      {"", "give at least one --vary"},
      {"--vary gogc=50 --jobs 0", "--jobs"},
      {"--vary gogc=50 --frobnicate", "frobnicate"},
  };
  int i = 0;
  for (const Case& c : cases)
    cli_testing::expectRefusedWritingNothing(bin + " " + c.args + " -q", dir + "/out" + std::to_string(i++), c.expect);
}

TEST(CompareCli, PrintsTheTableAndWritesTheFiles) {
  const std::string dir = tempDir("cli-ok");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << kSmallScenario;
  const CmdResult r = sh(std::string(GOMEMSIM_BINARY) + " compare " + file +
                         " --vary GOGC=50,100 --set sample_every=2s --jobs 2 --out " + dir + "/out");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("gomemsim compare: small-drop (2 configurations)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nGOGC=100 "), std::string::npos) << r.out;
  const auto trace = lines(readFile(dir + "/out/trace.csv"));
  ASSERT_GT(trace.size(), 2u);
  EXPECT_EQ(trace[1].rfind("GOGC=50,0.0000,start,", 0), 0u) << trace[1];
  EXPECT_EQ(lines(readFile(dir + "/out/compare.csv")).size(), 3u);
}


// A second compare into the same directory leaves only its own gctrace logs (a user comparing
// scavengers and then GOGC values must not find the first grid's logs beside the index), drops
// the combined gctrace.log of earlier versions, and says it replaced the earlier outputs.
TEST(CompareCli, ASecondCompareReplacesTheFirstsFilesAndSaysSo) {
  const std::string dir = tempDir("cli-replace");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << kSmallScenario;
  const std::string cmd = std::string(GOMEMSIM_BINARY) + " compare " + file + " --set sample_every=2s --out " + dir + "/out";
  const CmdResult first = sh(cmd + " --vary GOGC=50,100");
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_EQ(first.out.find("replacing"), std::string::npos) << first.out;
  std::ofstream(dir + "/out/gctrace.log") << "[GOGC=50] gc 1 @0.1s\n";  // an earlier version's file
  const CmdResult second = sh(cmd + " --vary GOGC=200");
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_NE(second.out.find("replacing an earlier compare's outputs"), std::string::npos) << second.out;
  std::vector<std::string> logs;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/out/gctrace")) logs.push_back(e.path().filename());
  std::sort(logs.begin(), logs.end());
  EXPECT_EQ(logs, (std::vector<std::string>{"GOGC-200.log", "index.csv"}));
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/gctrace.log"));
}

}  // namespace
}  // namespace gomemsim
