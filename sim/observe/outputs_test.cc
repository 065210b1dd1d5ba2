// The files and text a user reads say what the snapshots hold: every trace.csv column carries the
// MemSnapshot field its header names, and every figure of the printed summary is the one
// summary.json gives for the same run. The snapshots are made by hand with a different value in
// every field, so a value written under another field's name cannot go unnoticed.
#include "observe/outputs.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <limits>
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

#include <unistd.h>

#include "engine/simulation.h"
#include "scenario/scenario.h"
#include "sizeclass/sizeclass.h"

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
  bytes(m.totalAlloc);
  bytes(m.totalFree);
  count(m.mallocs);
  count(m.frees);
  count(m.tinyAllocs);
  bytes(m.mspanInuse);
  bytes(m.mspanSys);
  count(m.pauseTotalNs);
  count(m.gcPercent);
  bytes(m.memoryLimit);
  count(m.gomaxprocs);
  // CPU classes in ns: distinct, and the total far above their sum so that user time is too.
  for (double* f : {&m.cpu.gcAssistNs, &m.cpu.gcDedicatedNs, &m.cpu.gcIdleNs, &m.cpu.gcPauseNs,
                    &m.cpu.scavengeAssistNs, &m.cpu.scavengeBgNs, &m.cpu.idleNs}) {
    ++k;
    *f = static_cast<double>(base * 100 + k) * 1e8 + static_cast<double>(k) * 1e3;
  }
  m.cpu.totalNs = static_cast<double>(base) * 1e12 + 7e3;
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
      {"cpu_total_s", m.cpu.totalNs * 1e-9, 0.5e-6},
      {"cpu_user_s", (m.cpu.totalNs - m.cpu.gcAssistNs - m.cpu.gcDedicatedNs - m.cpu.gcIdleNs - m.cpu.gcPauseNs -
                      m.cpu.scavengeAssistNs - m.cpu.scavengeBgNs - m.cpu.idleNs) * 1e-9, 0.5e-6},
      {"cpu_idle_s", m.cpu.idleNs * 1e-9, 0.5e-6},
      {"cpu_gc_s", (m.cpu.gcAssistNs + m.cpu.gcDedicatedNs + m.cpu.gcIdleNs + m.cpu.gcPauseNs) * 1e-9, 0.5e-6},
      {"cpu_gc_assist_s", m.cpu.gcAssistNs * 1e-9, 0.5e-6},
      {"cpu_gc_dedicated_s", m.cpu.gcDedicatedNs * 1e-9, 0.5e-6},
      {"cpu_gc_idle_s", m.cpu.gcIdleNs * 1e-9, 0.5e-6},
      {"cpu_gc_pause_s", m.cpu.gcPauseNs * 1e-9, 0.5e-6},
      {"cpu_scavenge_s", (m.cpu.scavengeAssistNs + m.cpu.scavengeBgNs) * 1e-9, 0.5e-6},
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

// The runtime/metrics names each release exports, as its metrics/description.go spells them
// (1.19.8's and 1.26.8's read on this machine; 1.16 and 1.17 from prometheus/client_golang's
// go1.17 list), of those gomemsim models.
const std::vector<std::string> kMetricsGo116 = {
    "/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
    "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes",
    "/memory/classes/heap/stacks:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
    "/memory/classes/metadata/mspan/free:bytes", "/memory/classes/metadata/other:bytes",
    "/memory/classes/total:bytes", "/gc/heap/objects:objects", "/gc/heap/goal:bytes",
    "/gc/cycles/automatic:gc-cycles", "/gc/cycles/forced:gc-cycles", "/gc/cycles/total:gc-cycles"};
const std::vector<std::string> kMetricsGo117 = {"/gc/heap/allocs:bytes", "/gc/heap/allocs:objects",
                                                "/gc/heap/frees:bytes", "/gc/heap/frees:objects",
                                                "/gc/heap/tiny/allocs:objects"};
const std::vector<std::string> kMetricsGo119 = {"/gc/limiter/last-enabled:gc-cycle", "/sched/gomaxprocs:threads"};
const std::vector<std::string> kMetricsGo120 = {
    "/cpu/classes/gc/mark/assist:cpu-seconds",  "/cpu/classes/gc/mark/dedicated:cpu-seconds",
    "/cpu/classes/gc/mark/idle:cpu-seconds",    "/cpu/classes/gc/pause:cpu-seconds",
    "/cpu/classes/gc/total:cpu-seconds",        "/cpu/classes/idle:cpu-seconds",
    "/cpu/classes/scavenge/assist:cpu-seconds", "/cpu/classes/scavenge/background:cpu-seconds",
    "/cpu/classes/scavenge/total:cpu-seconds",  "/cpu/classes/total:cpu-seconds",
    "/cpu/classes/user:cpu-seconds"};
const std::vector<std::string> kMetricsGo121 = {"/gc/heap/live:bytes", "/gc/gogc:percent", "/gc/gomemlimit:bytes"};

std::set<std::string> metricsOf(std::initializer_list<const std::vector<std::string>*> sets) {
  std::set<std::string> out;
  for (const auto* set : sets) out.insert(set->begin(), set->end());
  return out;
}

SimResult handResult(const char* go, std::vector<TraceRow> rows) {
  SimResult r;
  r.goVersion = go;
  r.release = &goRelease(go);
  r.rows = std::move(rows);
  return r;
}

// metrics.csv's header is time_s, step and the names of the simulated release: none before Go
// 1.16 (no file), more with 1.17, 1.19 and 1.21.
TEST(MetricsCsv, HeaderHasTheNamesOfTheSimulatedRelease) {
  const std::vector<TraceRow> rows = {TraceRow{"start", distinctSnapshot(1), "start"}};
  EXPECT_EQ(metricsCsv(handResult("1.15", rows), goRelease("1.15")), "") << "Go 1.15 has no runtime/metrics";
  EXPECT_EQ(metricsCsv(handResult("1.11", rows), goRelease("1.11")), "");
  const std::map<std::string, std::set<std::string>> want = {
      {"1.16", metricsOf({&kMetricsGo116})},
      {"1.18", metricsOf({&kMetricsGo116, &kMetricsGo117})},
      {"1.19", metricsOf({&kMetricsGo116, &kMetricsGo117, &kMetricsGo119})},
      {"1.20", metricsOf({&kMetricsGo116, &kMetricsGo117, &kMetricsGo119, &kMetricsGo120})},
      {"1.21.0", metricsOf({&kMetricsGo116, &kMetricsGo117, &kMetricsGo119, &kMetricsGo120, &kMetricsGo121})},
      {"1.27", metricsOf({&kMetricsGo116, &kMetricsGo117, &kMetricsGo119, &kMetricsGo120, &kMetricsGo121})},
  };
  for (const auto& [go, names] : want) {
    SCOPED_TRACE(go);
    const std::vector<std::string> lines = splitOn(metricsCsv(handResult(go.c_str(), rows), goRelease(go)), '\n');
    ASSERT_EQ(lines.size(), 2u);
    const std::vector<std::string> header = splitOn(lines[0], ',');
    ASSERT_GE(header.size(), 2u);
    EXPECT_EQ(header[0], "time_s");
    EXPECT_EQ(header[1], "step");
    EXPECT_EQ(std::set<std::string>(header.begin() + 2, header.end()), names);
    EXPECT_EQ(header.size(), names.size() + 2) << "no name twice";
  }
}

// Every metrics.csv cell is what the runtime's metrics.go computes from the same state: the
// memory classes from the MemStats figures, the counters, the settings (GOGC=off as Go's
// uint64(-1), no memory limit as math.MaxInt64).
TEST(MetricsCsv, EveryCellIsWhatGoComputesFromTheSnapshot) {
  MemSnapshot off = distinctSnapshot(7);
  off.gcPercent = -1;
  off.memoryLimit = Bytes(std::numeric_limits<int64_t>::max());
  const SimResult r = handResult("1.27", {TraceRow{"live_set:cache", distinctSnapshot(4), "live_set:cache"}, TraceRow{"gc", off, "gc"}});
  const std::vector<std::string> lines = splitOn(metricsCsv(r, goRelease("1.27")), '\n');
  ASSERT_EQ(lines.size(), 3u) << "a header and one line per sample";
  const std::vector<std::string> header = splitOn(lines[0], ',');
  for (size_t row = 0; row < 2; ++row) {
    const MemSnapshot& m = r.rows[row].mem;
    SCOPED_TRACE(r.rows[row].step);
    auto u = [](int64_t v) { return std::to_string(static_cast<uint64_t>(v)); };
    // Seconds to the microsecond, as metrics.go's float64 cpu-seconds printed with %.6f.
    auto s = [](double ns) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.6f", ns * 1e-9);
      return std::string(buf);
    };
    const CpuStats& c = m.cpu;
    const double gc = c.gcAssistNs + c.gcDedicatedNs + c.gcIdleNs + c.gcPauseNs;
    const double scav = c.scavengeAssistNs + c.scavengeBgNs;
    const std::map<std::string, std::string> want = {
        {"/cpu/classes/gc/mark/assist:cpu-seconds", s(c.gcAssistNs)},
        {"/cpu/classes/gc/mark/dedicated:cpu-seconds", s(c.gcDedicatedNs)},
        {"/cpu/classes/gc/mark/idle:cpu-seconds", s(c.gcIdleNs)},
        {"/cpu/classes/gc/pause:cpu-seconds", s(c.gcPauseNs)},
        {"/cpu/classes/gc/total:cpu-seconds", s(gc)},
        {"/cpu/classes/idle:cpu-seconds", s(c.idleNs)},
        {"/cpu/classes/scavenge/assist:cpu-seconds", s(c.scavengeAssistNs)},
        {"/cpu/classes/scavenge/background:cpu-seconds", s(c.scavengeBgNs)},
        {"/cpu/classes/scavenge/total:cpu-seconds", s(scav)},
        {"/cpu/classes/total:cpu-seconds", s(c.totalNs)},
        {"/cpu/classes/user:cpu-seconds", s(c.totalNs - gc - scav - c.idleNs)},
        {"step", r.rows[row].step},
        {"/memory/classes/heap/objects:bytes", u(m.heapAlloc.v)},
        {"/memory/classes/heap/unused:bytes", u(m.heapInuse.v - m.heapAlloc.v)},
        {"/memory/classes/heap/free:bytes", u(m.heapIdle.v - m.heapReleased.v)},
        {"/memory/classes/heap/released:bytes", u(m.heapReleased.v)},
        {"/memory/classes/heap/stacks:bytes", u(m.stackInuse.v)},
        {"/memory/classes/metadata/mspan/inuse:bytes", u(m.mspanInuse.v)},
        {"/memory/classes/metadata/mspan/free:bytes", u(m.mspanSys.v - m.mspanInuse.v)},
        {"/memory/classes/metadata/other:bytes", u(m.gcSys.v - m.mspanSys.v)},
        {"/memory/classes/total:bytes", u(m.sys.v)},
        {"/gc/heap/allocs:bytes", u(m.totalAlloc.v)},
        {"/gc/heap/allocs:objects", u(m.mallocs - m.tinyAllocs)},
        {"/gc/heap/frees:bytes", u(m.totalFree.v)},
        {"/gc/heap/frees:objects", u(m.frees - m.tinyAllocs)},
        {"/gc/heap/tiny/allocs:objects", u(m.tinyAllocs)},
        {"/gc/heap/objects:objects", u(m.heapObjects)},
        {"/gc/heap/goal:bytes", u(m.heapGoal.v)},
        {"/gc/cycles/automatic:gc-cycles", u(m.numGc - m.numForcedGc)},
        {"/gc/cycles/forced:gc-cycles", u(m.numForcedGc)},
        {"/gc/cycles/total:gc-cycles", u(m.numGc)},
        {"/gc/limiter/last-enabled:gc-cycle", u(m.gcLimiterLastEnabledCycle)},
        {"/sched/gomaxprocs:threads", u(m.gomaxprocs)},
        {"/gc/heap/live:bytes", u(m.heapMarked.v)},
        {"/gc/gogc:percent", row == 1 ? "18446744073709551615" : u(m.gcPercent)},
        {"/gc/gomemlimit:bytes", row == 1 ? "9223372036854775807" : u(m.memoryLimit.v)},
    };
    const std::vector<std::string> cells = splitOn(lines[row + 1], ',');
    ASSERT_EQ(cells.size(), header.size());
    EXPECT_NEAR(std::stod(cells[0]), m.timeS, 0.5e-4);
    std::set<std::string> checked = {"time_s"};
    for (size_t i = 1; i < header.size(); ++i) {
      const auto it = want.find(header[i]);
      if (it == want.end()) {
        ADD_FAILURE() << "a column this test does not check: " << header[i];
        continue;
      }
      checked.insert(header[i]);
      EXPECT_EQ(cells[i], it->second) << header[i];
    }
    EXPECT_EQ(checked.size(), want.size() + 1) << "every checked name has a column";
  }
}

// runtime.MemStats's fields in mstats.go's order, with their JSON types: u unsigned, f float,
// b bool, and the arrays.
const std::vector<std::pair<std::string, char>> kMemStatsFields = {
    {"Alloc", 'u'},       {"TotalAlloc", 'u'},   {"Sys", 'u'},          {"Lookups", 'u'},
    {"Mallocs", 'u'},     {"Frees", 'u'},        {"HeapAlloc", 'u'},    {"HeapSys", 'u'},
    {"HeapIdle", 'u'},    {"HeapInuse", 'u'},    {"HeapReleased", 'u'}, {"HeapObjects", 'u'},
    {"StackInuse", 'u'},  {"StackSys", 'u'},     {"MSpanInuse", 'u'},   {"MSpanSys", 'u'},
    {"MCacheInuse", 'u'}, {"MCacheSys", 'u'},    {"BuckHashSys", 'u'},  {"GCSys", 'u'},
    {"OtherSys", 'u'},    {"NextGC", 'u'},       {"LastGC", 'u'},       {"PauseTotalNs", 'u'},
    {"PauseNs", 'a'},     {"PauseEnd", 'a'},     {"NumGC", 'u'},        {"NumForcedGC", 'u'},
    {"GCCPUFraction", 'f'}, {"EnableGC", 'b'},   {"DebugGC", 'b'},      {"BySize", 's'},
};

// memstats.jsonl: one object per sample, {"time_s", "step", "memstats"}, the last holding every
// MemStats field, in order, with the snapshot's figure (what gomemsim does not model: 0).
TEST(MemstatsJsonl, EveryFieldIsTheSnapshotsFigure) {
  MemSnapshot few = distinctSnapshot(2);
  few.numGc = 3;
  few.numForcedGc = 1;
  const SimResult r = handResult("1.19", {TraceRow{"append:s", distinctSnapshot(5), "append:s"}, TraceRow{"gc", few, "gc"}});
  const std::vector<std::string> lines = splitOn(memstatsJsonl(r, goRelease("1.19")), '\n');
  ASSERT_EQ(lines.size(), 2u) << "one line per sample";
  for (size_t row = 0; row < 2; ++row) {
    const MemSnapshot& m = r.rows[row].mem;
    SCOPED_TRACE(r.rows[row].step);
    // The fields in the order written: every "Name": directly inside "memstats".
    std::vector<std::string> order;
    const std::regex key(R"re("([A-Za-z]+)":)re");
    const std::string body = lines[row].substr(lines[row].find("\"memstats\":"));
    int depth = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '{' || body[i] == '[') ++depth;
      if (body[i] == '}' || body[i] == ']') --depth;
      std::smatch x;
      const std::string rest = body.substr(i);
      if (depth == 1 && body[i] == '"' && (body[i - 1] == '{' || body[i - 1] == ',') &&
          std::regex_search(rest, x, key, std::regex_constants::match_continuous))
        order.push_back(x[1].str());
    }
    std::vector<std::string> want;
    for (const auto& [name, type] : kMemStatsFields) want.push_back(name);
    EXPECT_EQ(order, want) << "runtime.MemStats's fields, in its order";

    const YAML::Node line = YAML::Load(lines[row]);
    EXPECT_NEAR(line["time_s"].as<double>(), m.timeS, 0.5e-4);
    EXPECT_EQ(line["step"].as<std::string>(), r.rows[row].step);
    const YAML::Node ms = line["memstats"];
    ASSERT_TRUE(ms.IsMap());
    EXPECT_EQ(ms.size(), kMemStatsFields.size());
    const std::map<std::string, int64_t> figures = {
        {"Alloc", m.heapAlloc.v},       {"TotalAlloc", m.totalAlloc.v},   {"Sys", m.sys.v},
        {"Lookups", 0},                 {"Mallocs", m.mallocs},           {"Frees", m.frees},
        {"HeapAlloc", m.heapAlloc.v},   {"HeapSys", m.heapSys.v},         {"HeapIdle", m.heapIdle.v},
        {"HeapInuse", m.heapInuse.v},   {"HeapReleased", m.heapReleased.v}, {"HeapObjects", m.heapObjects},
        {"StackInuse", m.stackInuse.v}, {"StackSys", m.stackInuse.v},     {"MSpanInuse", m.mspanInuse.v},
        {"MSpanSys", m.mspanSys.v},     {"MCacheInuse", 0},               {"MCacheSys", 0},
        {"BuckHashSys", 0},             {"GCSys", m.gcSys.v - m.mspanSys.v}, {"OtherSys", 0},
        {"NextGC", m.heapGoal.v},       {"LastGC", 0},                    {"PauseTotalNs", m.pauseTotalNs},
        {"NumGC", m.numGc},             {"NumForcedGC", m.numForcedGc},
    };
    for (const auto& [name, type] : kMemStatsFields) {
      SCOPED_TRACE(name);
      const YAML::Node v = ms[name];
      ASSERT_TRUE(v.IsDefined());
      if (type == 'u') {
        EXPECT_EQ(v.as<int64_t>(), figures.at(name));
      } else if (type == 'f') {
        EXPECT_EQ(v.as<double>(), m.gcCpuFraction) << "the fraction, exactly";
      } else if (type == 'b') {
        EXPECT_EQ(v.as<std::string>(), name == "EnableGC" ? "true" : "false");
      } else if (type == 'a') {
        ASSERT_TRUE(v.IsSequence());
        ASSERT_EQ(v.size(), 256u);
        for (size_t i = 0; i < 256; ++i) {
          // PauseNs: GC n's pause at (n - 1) % 256, kStwNs each; PauseEnd: wall-clock, 0.
          const int64_t w = name == "PauseNs" && static_cast<int64_t>(i) < m.numGc ? kStwNs : 0;
          EXPECT_EQ(v[i].as<int64_t>(), w) << name << "[" << i << "]";
        }
      } else {
        ASSERT_TRUE(v.IsSequence());
        ASSERT_EQ(v.size(), 61u) << "BySize has 61 entries in every release";
        const SizeClassTable& classes = SizeClassTable::forRelease(goRelease("1.19"));
        for (size_t i = 0; i < 61; ++i) {
          EXPECT_EQ(v[i]["Size"].as<int64_t>(), classes.cls(static_cast<int>(i)).size);
          EXPECT_EQ(v[i]["Mallocs"].as<int64_t>(), 0);
          EXPECT_EQ(v[i]["Frees"].as<int64_t>(), 0);
          EXPECT_EQ(v[i].size(), 3u);
        }
      }
    }
  }
}

// BySize's sizes are the simulated release's size classes: Go 1.16 inserted the 24-byte class.
TEST(MemstatsJsonl, BySizeFollowsTheReleasesSizeClasses) {
  const SimResult r = handResult("1.15", {TraceRow{"start", distinctSnapshot(1), "start"}});
  auto bySize = [&r](const char* go) {
    const YAML::Node bs = YAML::Load(memstatsJsonl(r, goRelease(go)))["memstats"]["BySize"];
    std::vector<int64_t> sizes;
    for (size_t i = 0; i < 5; ++i) sizes.push_back(bs[i]["Size"].as<int64_t>());
    return sizes;
  };
  EXPECT_EQ(bySize("1.15"), (std::vector<int64_t>{0, 8, 16, 32, 48}));
  EXPECT_EQ(bySize("1.16"), (std::vector<int64_t>{0, 8, 16, 24, 32}));
}

// writeOutputs writes metrics.csv from Go 1.16 and memstats.jsonl always; a Go 1.15 run into a
// directory that holds a 1.19 run's metrics.csv leaves none behind.
TEST(WriteOutputs, MetricsCsvOnlyForReleasesWithRuntimeMetrics) {
  const std::string dir = ::testing::TempDir() + "/gomemsim_gonative_test";
  std::filesystem::remove_all(dir);
  Scenario sc;
  sc.name = "hand";
  writeOutputs(dir, sc, handResult("1.19", {TraceRow{"start", distinctSnapshot(1), "start"}}));
  EXPECT_TRUE(std::filesystem::exists(dir + "/metrics.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/memstats.jsonl"));
  writeOutputs(dir, sc, handResult("1.15", {TraceRow{"start", distinctSnapshot(1), "start"}}));
  EXPECT_FALSE(std::filesystem::exists(dir + "/metrics.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/memstats.jsonl"));
  std::filesystem::remove_all(dir);
}


// The limits a run ran under are in its first line and in summary.json (a newcomer running a
// batch job under GOMEMLIMIT found neither).
TEST(Summary, NamesTheMemoryLimitAndTheCgroupLimit) {
  const Scenario limited = parseScenario(R"(about: limits
runtime: {go: "1.21", memory_limit: 1536MiB}
machine: {cgroup_limit: 4GiB}
steps:
  - live_set: {name: a, grow_to: 8MB, size: 1KiB}
)",
                                         "limits.yaml");
  Simulation sim(limited);
  const SimResult r = sim.run();
  std::ostringstream printed;
  printSummary(printed, limited, r, summarize(r));
  const std::string first = printed.str().substr(0, printed.str().find('\n'));
  EXPECT_NE(first.find("GOMEMLIMIT=1536MiB"), std::string::npos) << first;
  EXPECT_NE(first.find("cgroup memory.max 4GiB"), std::string::npos) << first;
  const YAML::Node json = YAML::Load(summaryJson(limited, r, summarize(r)));
  EXPECT_EQ(json["gomemlimit"].as<int64_t>(), int64_t{1536} << 20);
  EXPECT_EQ(json["cgroup_limit"].as<int64_t>(), int64_t{4} << 30);

  Scenario unlimited = limited;
  unlimited.runtime.memory_limit.reset();
  unlimited.machine.cgroup_limit.reset();
  std::ostringstream plain;
  printSummary(plain, unlimited, r, summarize(r));
  EXPECT_EQ(plain.str().find("GOMEMLIMIT"), std::string::npos) << plain.str();
  EXPECT_EQ(plain.str().find("cgroup"), std::string::npos) << plain.str();
  const YAML::Node none = YAML::Load(summaryJson(unlimited, r, summarize(r)));
  EXPECT_TRUE(none["gomemlimit"].IsNull());
  EXPECT_TRUE(none["cgroup_limit"].IsNull());
  EXPECT_EQ(plain.str().find("CPU speed"), std::string::npos) << "the calibration machine goes unsaid";
  EXPECT_DOUBLE_EQ(none["cpu_speed"].as<double>(), 1.0);

  Scenario faster = unlimited;
  faster.machine.cpu_speed = 1.9;
  std::ostringstream fast;
  printSummary(fast, faster, r, summarize(r));
  EXPECT_NE(fast.str().substr(0, fast.str().find('\n')).find(", CPU speed 1.9x"), std::string::npos) << fast.str();
  EXPECT_DOUBLE_EQ(YAML::Load(summaryJson(faster, r, summarize(r)))["cpu_speed"].as<double>(), 1.9);
}


// A run into the directory of an earlier run with more steps leaves no step profile of the
// earlier run behind (its files would read as this run's).
TEST(WriteOutputs, AnEarlierRunsStepProfilesAreRemoved) {
  const std::string dir = ::testing::TempDir() + "/gomemsim-stale-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  const char* three = R"(about: three steps
runtime: {go: "1.21"}
steps:
  - live_set: {name: a, grow_to: 4MB, size: 1KiB}
  - gc
  - idle: 1s
)";
  const char* one = R"(about: one step
runtime: {go: "1.21"}
steps:
  - live_set: {name: b, grow_to: 4MB, size: 1KiB}
)";
  for (const char* text : {three, one}) {
    const Scenario s = parseScenario(text, "stale.yaml");
    Simulation sim(s);
    writeOutputs(dir, s, sim.run());
  }
  std::vector<std::string> steps;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name.starts_with("heap-step-")) steps.push_back(name);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"heap-step-01-live_set_b.pb.gz"}));
  EXPECT_TRUE(std::filesystem::exists(dir + "/heap-end.pb.gz"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gomemsim
