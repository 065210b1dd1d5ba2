// Scenario-level tests: every file in scenarios/ keeps the runtime's accounting identities on
// every sample and is deterministic; the seed, steady-service, burst-then-idle and fragmentation
// scenarios show the behaviour the real Go 1.19 runtime shows (../shared/realgo/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kRoot + "/scenarios"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

SimResult runFile(const std::string& path) {
  const Scenario s = loadScenario(path);
  Simulation sim(s);
  return sim.run();
}

double mib(Bytes b) { return toMiB(b); }

class EveryScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScenario, AccountingIdentitiesHoldOnEverySample) {
  const SimResult r = runFile(GetParam());
  ASSERT_FALSE(r.rows.empty());
  int64_t lastGc = 0;
  for (const TraceRow& row : r.rows) {
    const MemSnapshot& m = row.mem;
    SCOPED_TRACE("t=" + std::to_string(m.timeS) + " step=" + row.step);
    ASSERT_EQ(m.heapSys, m.heapInuse + m.heapIdle);
    ASSERT_LE(m.heapReleased, m.heapIdle);
    ASSERT_LE(m.heapAlloc, m.heapInuse);
    ASSERT_EQ(m.reachable + m.unsweptGarbage + m.spanFree + m.retainedFree + m.lazyFree + m.stackInuse +
                  m.runtimeOverhead + m.baseline,
              m.rss);
    // RSS is at most what is mapped (heap, stacks, metadata) plus the binary.
    ASSERT_LE(m.rss, m.sys + m.baseline);
    // What is resident of the heap cannot exceed the heap that is not released, plus LazyFree.
    ASSERT_LE(m.reachable + m.unsweptGarbage + m.spanFree + m.retainedFree,
              m.heapSys - m.heapReleased);
    ASSERT_GE(m.numGc, lastGc);
    ASSERT_GE(m.gcCpuFraction, 0.0);
    ASSERT_LE(m.gcCpuFraction, 1.0);
    lastGc = m.numGc;
  }
}

TEST_P(EveryScenario, SameSeedGivesIdenticalOutput) {
  const Scenario s = loadScenario(GetParam());
  Simulation a(s), b(s);
  const SimResult ra = a.run(), rb = b.run();
  EXPECT_EQ(traceCsv(ra), traceCsv(rb));
  EXPECT_EQ(ra.gctrace, rb.gctrace);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EveryScenario, ::testing::ValuesIn(scenarioFiles()),
                         [](const auto& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

const TraceRow& lastRowOfStep(const SimResult& r, const std::string& step) {
  const TraceRow* last = nullptr;
  for (const auto& row : r.rows) if (row.step == step) last = &row;
  if (!last) throw std::runtime_error("no sample for step " + step);
  return *last;
}

TEST(Seed10gb, RssStaysAfterGcAndFallsToMetadataFloorAfterFreeOsMemory) {
  const SimResult r = runFile(kRoot + "/scenarios/seed-10gb.yaml");
  const Summary sum = summarize(r);
  const MemSnapshot& afterAppend = lastRowOfStep(r, "append:s").mem;
  const MemSnapshot& afterGc = lastRowOfStep(r, "gc").mem;
  const MemSnapshot& afterFree = lastRowOfStep(r, "free_os_memory").mem;
  const MemSnapshot& end = r.rows.back().mem;
  // The final slice: 100 x 100 MiB = 10000 MiB of length in a larger capacity.
  const double finalSlice = 10000;
  EXPECT_GE(mib(afterAppend.reachable), finalSlice);
  // Right after runtime.GC(): nothing reachable, the published profile near zero, RSS still high.
  EXPECT_LT(mib(afterGc.pprofInuse), 10);
  EXPECT_LT(mib(afterGc.heapAlloc), 10);
  EXPECT_GT(mib(afterGc.rss), 0.9 * mib(afterAppend.rss));
  // Peak 3-4x the final slice (old growslice buffers are resident garbage).
  EXPECT_GT(mib(sum.peak.rss), 3.0 * finalSlice);
  EXPECT_LT(mib(sum.peak.rss), 4.5 * finalSlice);
  // After FreeOSMemory: the floor is the GC metadata (~HeapSys/32 heap bitmap in 1.19) plus
  // the baseline, and it stays there.
  const double floor = mib(afterFree.heapSys) / 32;
  EXPECT_GT(mib(afterFree.rss), floor);
  EXPECT_LT(mib(afterFree.rss), floor * 1.25 + 30);
  EXPECT_NEAR(mib(end.rss), mib(afterFree.rss), 2);
}

TEST(SteadyService, RssSettlesFlatNearTheHeapGoal) {
  const SimResult r = runFile(kRoot + "/scenarios/steady-service.yaml");
  double lo = 1e18, hi = 0, goal = 0;
  for (const auto& row : r.rows) {
    if (row.mem.timeS < 30) continue;
    lo = std::min(lo, mib(row.mem.rss));
    hi = std::max(hi, mib(row.mem.rss));
    goal = std::max(goal, mib(row.mem.heapGoal));
  }
  EXPECT_LT(hi - lo, 0.05 * hi) << "rss not flat: " << lo << ".." << hi;
  // Real Go 1.19: RSS ~ heap goal + 25-50 MiB (../shared/realgo/steady_service).
  EXPECT_GT(hi, goal);
  EXPECT_LT(hi, goal + 100);
}

TEST(BurstThenIdle, DropStartsNoGcAndTheForcedGcFreesTwoMinutesLater) {
  const SimResult r = runFile(kRoot + "/scenarios/burst-then-idle.yaml");
  const MemSnapshot& atDrop = lastRowOfStep(r, "drop:burst").mem;
  int64_t gcsIn110s = -1, gcsBy125s = -1;
  double rssAt110 = 0, rssEnd = mib(r.rows.back().mem.rss);
  for (const auto& row : r.rows) {
    if (row.mem.timeS <= atDrop.timeS + 110) { gcsIn110s = row.mem.numGc; rssAt110 = mib(row.mem.rss); }
    if (row.mem.timeS <= atDrop.timeS + 125) gcsBy125s = row.mem.numGc;
  }
  EXPECT_EQ(gcsIn110s, atDrop.numGc) << "dropping references started a GC";
  EXPECT_GT(gcsBy125s, atDrop.numGc) << "sysmon's forced GC did not come";
  EXPECT_GT(rssAt110, 0.9 * mib(atDrop.rss));
  EXPECT_LT(rssEnd, 0.25 * mib(atDrop.rss)) << "the scavenger did not return the freed memory";
}

TEST(Fragmentation, SurvivorsPinTheSpans) {
  const SimResult r = runFile(kRoot + "/scenarios/fragmentation.yaml");
  const Summary sum = summarize(r);
  const MemSnapshot& end = r.rows.back().mem;
  const MemSnapshot& built = lastRowOfStep(r, "live_set:small").mem;
  const MemSnapshot& afterGc = lastRowOfStep(r, "gc").mem;
  EXPECT_LT(mib(afterGc.reachable), 0.11 * mib(built.reachable));
  EXPECT_GT(mib(afterGc.reachable), 0.09 * mib(built.reachable));
  EXPECT_GT(mib(end.rss), 0.85 * mib(sum.peak.rss));
}

// --- the command line ---

struct CmdResult {
  int status;
  std::string out;
};

CmdResult sh(const std::string& cmd) {
  CmdResult r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string readFile(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Cli, RunWritesByteIdenticalOutputsForTheSameSeed) {
  const std::string dir = ::testing::TempDir() + "/gomemsim-cli";
  std::filesystem::remove_all(dir);
  const std::string bin = GOMEMSIM_BINARY;
  const std::string sc = kRoot + "/scenarios/burst-then-idle.yaml";
  ASSERT_EQ(sh(bin + " run " + sc + " -q --out " + dir + "/a").status, 0);
  ASSERT_EQ(sh(bin + " run " + sc + " -q --out " + dir + "/b").status, 0);
  for (const char* f : {"trace.csv", "gctrace.log", "summary.json"}) {
    EXPECT_FALSE(readFile(dir + "/a/" + f).empty()) << f;
    EXPECT_EQ(readFile(dir + "/a/" + f), readFile(dir + "/b/" + f)) << f;
  }
  const CmdResult c = sh(bin + " run " + sc + " -q --seed 7 --env GOGC=50 --out " + dir + "/c");
  EXPECT_EQ(c.status, 0) << c.out;
  EXPECT_NE(readFile(dir + "/a/gctrace.log"), readFile(dir + "/c/gctrace.log"));
}

TEST(Cli, BadScenariosExitTwoNamingFileAndLineAndWriteNothing) {
  const std::string dir = ::testing::TempDir() + "/gomemsim-bad";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string bin = GOMEMSIM_BINARY;
  struct Case { const char* text; int line; const char* expect; };
  const Case cases[] = {
      {"name: x\nabout: y\nsteps:\n  - idle: 1s\n  - colour: red\n", 5, "colour"},
      {"name: x\nabout: y\nsteps:\n  - run: {for: 1s, alloc: [{rate: 10MB/s, size: 12 parsecs, lifetime: 1s}]}\n", 4, "size"},
      {"name: x\nabout: y\nsteps:\n  - run: {for: 1s, alloc: [{rate: -5MB/s, size: 8B, lifetime: 1s}]}\n", 4, "rate"},
      {"name: x\nabout: y\nsteps: [\n  - idle: 1s\n", 0, ""},
      {"name: x\nabout: y\nwhatever: 1\nsteps:\n  - gc\n", 3, "whatever"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string file = dir + "/bad" + std::to_string(i++) + ".yaml";
    std::ofstream(file) << c.text;
    const std::string out = dir + "/out" + std::to_string(i);
    const CmdResult r = sh(bin + " run " + file + " --out " + out);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find(file + ":"), std::string::npos) << r.out;
    if (c.line > 0) {
      EXPECT_NE(r.out.find(file + ":" + std::to_string(c.line) + ":"), std::string::npos) << r.out;
    }
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(out)) << "partial output left behind";
  }
  EXPECT_EQ(sh(bin + " run " + kRoot + "/scenarios/steady-service.yaml --set nosuch=1 --out " + dir + "/o").status, 2);
  EXPECT_EQ(sh(bin + " run").status, 2);
  EXPECT_EQ(sh(bin + " frobnicate").status, 2);
}

TEST(Cli, SizeclassAnswersLikeTheGoTable) {
  const std::string bin = GOMEMSIM_BINARY;
  const CmdResult r = sh(bin + " sizeclass 1025B");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("class 33: 1152 B per object"), std::string::npos) << r.out;
  EXPECT_NE(sh(bin + " sizeclass 40KiB").out.find("5 pages"), std::string::npos);
  EXPECT_EQ(sh(bin + " sizeclass banana").status, 2);
}

}  // namespace
}  // namespace gomemsim
