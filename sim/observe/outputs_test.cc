// The files and text a user reads say what the snapshots hold: every trace.csv column carries the
// MemSnapshot field its header names, and every figure of the printed summary is the one
// summary.json gives for the same run. The snapshots are made by hand with a different value in
// every field, so a value written under another field's name cannot go unnoticed.
#include "observe/outputs.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
// GCC 12 at -O2 with the sanitizers warns, wrongly, that std::regex's compiled state "may be used
// uninitialized" (GCC bug 105562); the warning is an error in this build.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

// A snapshot whose numeric fields all differ: the k-th field (declaration order) holds
// (base + k) MiB + k KiB, a count base * 1000 + k, a time or fraction base / 8 + k / 64.
MemSnapshot distinctSnapshot(int64_t base) {
  MemSnapshot m;
  int64_t k = 0;
  auto bytes = [&](Bytes& f) { ++k; f = Bytes(((base + k) << 20) + (k << 10)); };
  auto count = [&](int64_t& f) { ++k; f = base * 1000 + k; };
  auto real = [&](double& f) { ++k; f = static_cast<double>(base) / 8 + static_cast<double>(k) / 64; };
  real(m.timeS);
  for (Bytes* f : {&m.rss, &m.heapAlloc, &m.heapInuse, &m.heapIdle, &m.heapReleased, &m.heapSys, &m.heapGoal,
                   &m.stackInuse, &m.sys})
    bytes(*f);
  count(m.numGc);
  count(m.numForcedGc);
  count(m.numPeriodicGc);
  real(m.gcCpuFraction);
  for (Bytes* f : {&m.pprofInuse, &m.pprofInuseSampled, &m.reachable, &m.unsweptGarbage, &m.spanFree,
                   &m.retainedFree, &m.lazyFree, &m.runtimeOverhead, &m.baseline, &m.gcSys, &m.heapLive,
                   &m.heapMarked, &m.trigger, &m.outsideSys})
    bytes(*f);
  count(m.heapObjects);
  for (Bytes* f : {&m.releasedBackground, &m.releasedEager, &m.releasedForced, &m.anonHugePages,
                   &m.lazyFreeReclaimed, &m.otherRss, &m.oomLimit})
    bytes(*f);
  real(m.gcLimiterFill);
  real(m.gcLimiterEnabledS);
  real(m.gcLimiterEnabledIdleS);
  count(m.gcLimiterLastEnabledCycle);
  return m;
}

std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(s);
  while (std::getline(in, cell, sep)) out.push_back(cell);
  return out;
}

// trace.csv read back by its header: each column equals the field it names (rss_minus_lazyfree:
// rss - lazy_free). The header must hold exactly the columns checked here, so a column added
// without a check here fails too.
TEST(TraceCsv, EveryColumnHoldsTheFieldItsHeaderNames) {
  SimResult r;
  r.rows.push_back(TraceRow{"drop:cache", distinctSnapshot(3), "drop:cache", 0});
  const MemSnapshot& m = r.rows[0].mem;
  struct Column {
    const char* name;
    double want;
    double tolerance;  // the printed precision of a fraction or time; 0 for bytes and counts
  };
  auto b = [](Bytes x) { return static_cast<double>(x.v); };
  auto n = [](int64_t x) { return static_cast<double>(x); };
  const std::vector<Column> columns = {
      {"time_s", m.timeS, 0.5e-4},
      {"rss", b(m.rss), 0},
      {"heap_alloc", b(m.heapAlloc), 0},
      {"heap_inuse", b(m.heapInuse), 0},
      {"heap_idle", b(m.heapIdle), 0},
      {"heap_released", b(m.heapReleased), 0},
      {"heap_sys", b(m.heapSys), 0},
      {"heap_goal", b(m.heapGoal), 0},
      {"stack_inuse", b(m.stackInuse), 0},
      {"sys", b(m.sys), 0},
      {"num_gc", n(m.numGc), 0},
      {"gc_cpu_fraction", m.gcCpuFraction, 0.5e-6},
      {"pprof_inuse", b(m.pprofInuse), 0},
      {"pprof_inuse_sampled", b(m.pprofInuseSampled), 0},
      {"reachable", b(m.reachable), 0},
      {"unswept_garbage", b(m.unsweptGarbage), 0},
      {"span_free", b(m.spanFree), 0},
      {"retained_free", b(m.retainedFree), 0},
      {"lazy_free", b(m.lazyFree), 0},
      {"runtime_overhead", b(m.runtimeOverhead), 0},
      {"baseline", b(m.baseline), 0},
      {"released_background", b(m.releasedBackground), 0},
      {"released_eager", b(m.releasedEager), 0},
      {"released_forced", b(m.releasedForced), 0},
      {"rss_minus_lazyfree", b(m.rss) - b(m.lazyFree), 0},
      {"gc_limiter_fill", m.gcLimiterFill, 0.5e-6},
      {"anon_huge_pages", b(m.anonHugePages), 0},
      {"gc_sys", b(m.gcSys), 0},
      {"gc_limiter_last_enabled", n(m.gcLimiterLastEnabledCycle), 0},
  };

  const std::vector<std::string> lines = splitOn(traceCsv(r), '\n');
  ASSERT_EQ(lines.size(), 2u) << "a header and one row";
  const std::vector<std::string> header = splitOn(lines[0], ',');
  const std::vector<std::string> cells = splitOn(lines[1], ',');
  ASSERT_EQ(cells.size(), header.size());
  std::map<std::string, std::string> byName;
  for (size_t i = 0; i < header.size(); ++i) {
    EXPECT_TRUE(byName.emplace(header[i], cells[i]).second) << "column " << header[i] << " twice";
  }
  std::set<std::string> checked = {"step"};
  for (const Column& c : columns) checked.insert(c.name);
  EXPECT_EQ(std::set<std::string>(header.begin(), header.end()), checked)
      << "every trace.csv column has a check here, and every check a column";
  EXPECT_EQ(std::set<std::string>(cells.begin(), cells.end()).size(), cells.size())
      << "no two columns hold the same value, so none can stand in for another";

  EXPECT_EQ(byName["step"], "drop:cache");
  for (const Column& c : columns) {
    const auto it = byName.find(c.name);
    if (it == byName.end()) continue;  // reported by the header check
    EXPECT_NEAR(std::stod(it->second), c.want, c.tolerance) << "column " << c.name;
  }
}

// Figures of the printed summary, read back: the number before " MiB", " s" or " %" or a count.
double figure(const std::smatch& m, size_t i) { return std::stod(m[i].str()); }

// Every figure printSummary prints is the summary.json value for the same run, at its printed
// precision (MiB and seconds to 0.1, the GC CPU to 0.01 %). Both breakdowns (at the peak, at the
// end) must print exactly the eight parts checked here. A line with a figure this test does not
// know fails.
TEST(PrintedSummary, EveryFigureIsTheOneSummaryJsonGives) {
  Scenario sc;
  sc.name = "hand";
  SimResult r;
  r.goVersion = "1.19";
  r.scavenger = "background-1.19";
  r.pacer = "go1.19";
  r.madvise = "dontneed";
  r.rows.push_back(TraceRow{"append:s", distinctSnapshot(300), "append:s", 0});  // the peak: the higher rss
  r.rows.push_back(TraceRow{"idle", distinctSnapshot(200), "idle", 1});
  const Summary sum = summarize(r);
  ASSERT_EQ(sum.peakStep, "append:s");

  std::ostringstream printed;
  printSummary(printed, sc, r, sum);
  const YAML::Node json = YAML::Load(summaryJson(sc, r, sum));
  auto value = [&json](const std::string& section, const std::string& key) {
    const YAML::Node v = section.empty() ? json[key] : json[section][key];
    EXPECT_TRUE(v.IsScalar()) << "summary.json has no " << section << (section.empty() ? "" : ".") << key;
    return v.IsScalar() ? v.as<double>() : std::nan("");
  };
  auto mib = [&value](const std::string& section, const std::string& key) {
    return value(section, key) / (1 << 20);
  };

  const std::map<std::string, std::string> parts = {
      {"reachable objects", "reachable"},        {"garbage not yet swept", "unswept_garbage"},
      {"free space in spans", "span_free"},      {"free pages retained", "retained_free"},
      {"released, LazyFree", "lazy_free"},       {"goroutine stacks", "stack_inuse"},
      {"runtime metadata", "runtime_overhead"}, {"binary and baseline", "baseline"},
  };
  const std::regex head(
      R"(gomemsim: hand \(go 1\.19, GOGC=(\d+), GOMAXPROCS=(\d+), scavenger (\S+), madvise (\S+), seed (\d+)\))");
  const std::regex gcs(
      R"(  simulated ([\d.]+) s, (\d+) GCs \((\d+) periodic, (\d+) by runtime\.GC\(\)\), GC CPU ([\d.]+) %)");
  const std::regex limiter(R"(  GC CPU limiter on for ([\d.]+) s of simulated time \(the time its bucket .*\), last on during GC (\d+) .*)");
  const std::regex limiterIdle(R"(    ([\d.]+) s of that with the program idle: the model counts idle time as the runtime does, .*)");
  const std::regex reclaimed(R"(  kernel reclaimed ([\d.]+) MiB of LazyFree \(MADV_FREE\) pages)");
  const std::regex peak(R"(  peak RES ([\d.]+) MiB at ([\d.]+) s \(append:s\); peak pprof heap ([\d.]+) MiB)");
  const std::regex atPeak(R"(  RES at peak, by what holds it:)");
  const std::regex atEnd(
      R"(  at end: RES ([\d.]+) MiB, pprof heap ([\d.]+) MiB, HeapAlloc ([\d.]+) MiB, HeapReleased ([\d.]+) MiB)");
  const std::regex part(R"(    (\S.*\S) +([\d.]+) MiB)");

  std::string section;  // the breakdown being printed: at_peak, at_end
  std::map<std::string, std::set<std::string>> printedParts;
  std::smatch x;
  for (const std::string& line : splitOn(printed.str(), '\n')) {
    SCOPED_TRACE(line);
    if (std::regex_match(line, x, head)) {
      EXPECT_EQ(figure(x, 1), value("", "gogc"));
      EXPECT_EQ(figure(x, 2), value("", "gomaxprocs"));
      EXPECT_EQ(x[3].str(), json["scavenger"].as<std::string>());
      EXPECT_EQ(x[4].str(), json["madvise"].as<std::string>());
      EXPECT_EQ(figure(x, 5), value("", "seed"));
    } else if (std::regex_match(line, x, gcs)) {
      EXPECT_NEAR(figure(x, 1), value("", "simulated_seconds"), 0.05);
      EXPECT_EQ(figure(x, 2), value("", "num_gc"));
      EXPECT_EQ(figure(x, 3), value("", "num_periodic_gc"));
      EXPECT_EQ(figure(x, 4), value("", "num_forced_gc"));
      EXPECT_NEAR(figure(x, 5), 100 * value("", "gc_cpu_fraction"), 0.005);
    } else if (std::regex_match(line, x, limiter)) {
      EXPECT_NEAR(figure(x, 1), value("gc_limiter", "enabled_seconds"), 0.05);
      EXPECT_EQ(figure(x, 2), value("gc_limiter", "last_enabled_gc"));
    } else if (std::regex_match(line, x, limiterIdle)) {
      EXPECT_NEAR(figure(x, 1), value("gc_limiter", "enabled_idle_seconds"), 0.05);
    } else if (std::regex_match(line, x, reclaimed)) {
      EXPECT_NEAR(figure(x, 1), mib("", "lazy_free_reclaimed"), 0.05);
    } else if (std::regex_match(line, x, peak)) {
      EXPECT_NEAR(figure(x, 1), mib("", "peak_rss"), 0.05);
      EXPECT_NEAR(figure(x, 1), mib("at_peak", "rss"), 0.05);
      EXPECT_NEAR(figure(x, 2), value("", "peak_rss_time_s"), 0.05);
      EXPECT_NEAR(figure(x, 3), mib("", "peak_pprof_inuse"), 0.05);
    } else if (std::regex_match(line, x, atPeak)) {
      section = "at_peak";
    } else if (std::regex_match(line, x, atEnd)) {
      section = "at_end";
      EXPECT_NEAR(figure(x, 1), mib("", "final_rss"), 0.05);
      EXPECT_NEAR(figure(x, 1), mib("at_end", "rss"), 0.05);
      EXPECT_NEAR(figure(x, 2), mib("at_end", "pprof_inuse"), 0.05);
      EXPECT_NEAR(figure(x, 3), mib("at_end", "heap_alloc"), 0.05);
      EXPECT_NEAR(figure(x, 4), mib("at_end", "heap_released"), 0.05);
    } else if (std::regex_match(line, x, part) && !section.empty()) {
      const auto key = parts.find(x[1].str());
      if (key == parts.end()) {
        ADD_FAILURE() << "a breakdown part this test does not check: " << x[1].str();
        continue;
      }
      printedParts[section].insert(key->first);
      EXPECT_NEAR(figure(x, 2), mib(section, key->second), 0.05) << section << "." << key->second;
    } else {
      ADD_FAILURE() << "a printed line this test does not check";
    }
  }
  std::set<std::string> all;
  for (const auto& [label, key] : parts) all.insert(label);
  EXPECT_EQ(printedParts["at_peak"], all);
  EXPECT_EQ(printedParts["at_end"], all);
}

// sysmon's two-minute GCs (proc.go forcegcperiod): each is announced by a "GC forced" line
// (forcegchelper, gctrace > 0) and then has its own gctrace line, without "(forced)", which Go
// prints only for runtime.GC's cycles (work.userForced; those alone count in NumForcedGC).
TEST(Summary, CountsPeriodicGcsApartFromRuntimeGcCalls) {
  const Scenario s = parseScenario(R"(about: a burst, one runtime.GC(), then ten minutes idle
runtime: {go: "1.22"}
sample_every: 1s
steps:
  - live_set: {name: burst, grow_to: 64MB, size: 1KiB}
  - drop: burst
  - gc
  - idle: 10m
)",
                                   "idle.yaml");
  Simulation sim(s);
  const SimResult r = sim.run();
  const Summary sum = summarize(r);
  size_t forcedLines = 0, periodicTraceLines = 0, userForcedTraceLines = 0;
  bool announced = false;
  for (const std::string& line : r.gctrace) {
    if (line == "GC forced") {
      EXPECT_FALSE(announced) << "two GC forced lines without a cycle between them";
      ++forcedLines;
      announced = true;
    } else if (line.rfind("gc ", 0) == 0) {
      const bool userForced = line.find("(forced)") != std::string::npos;
      EXPECT_FALSE(announced && userForced) << line;
      periodicTraceLines += announced ? 1 : 0;
      userForcedTraceLines += userForced ? 1 : 0;
      announced = false;
    }
  }
  // The last GC ends soon after the runtime.GC() at ~0 s: 600 s of idle leave room for
  // 600 / 120 = 5 periodic GCs, each two minutes after the end of the one before (4 when the
  // clock ends just before the fifth).
  EXPECT_GE(sum.end.numPeriodicGc, 4);
  EXPECT_LE(sum.end.numPeriodicGc, 5);
  EXPECT_EQ(static_cast<int64_t>(forcedLines), sum.end.numPeriodicGc);
  EXPECT_EQ(static_cast<int64_t>(periodicTraceLines), sum.end.numPeriodicGc);
  EXPECT_EQ(sum.end.numForcedGc, 1) << "the one runtime.GC()";
  EXPECT_EQ(static_cast<int64_t>(userForcedTraceLines), 1);
  const YAML::Node json = YAML::Load(summaryJson(s, r, sum));
  EXPECT_EQ(json["num_periodic_gc"].as<int64_t>(), sum.end.numPeriodicGc);
  EXPECT_EQ(json["num_forced_gc"].as<int64_t>(), 1);
  std::ostringstream printed;
  printSummary(printed, s, r, sum);
  EXPECT_NE(printed.str().find(std::to_string(sum.end.numGc) + " GCs (" + std::to_string(sum.end.numPeriodicGc) +
                               " periodic, 1 by runtime.GC())"),
            std::string::npos)
      << printed.str();
}

}  // namespace
}  // namespace gomemsim
