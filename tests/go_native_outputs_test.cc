// metrics.csv and memstats.jsonl opened with the real Go tools: for every Go toolchain this
// machine has among those the project checks against (1.19.8, 1.26.8, 1.27.3), a short scenario
// simulated as that release is written out, and tests/gocheck, run with that toolchain, reads
// metrics.csv's names against its runtime/metrics.All() and decodes every memstats.jsonl line into
// its runtime.MemStats (unknown fields refused, every field required). The checker is shown to fail
// on a misspelt metric name, a renamed MemStats field and a missing one.
// Missing toolchains are skipped with a message; with none at all, the test is skipped.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_support.h"
#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

namespace fs = std::filesystem;
using cli_testing::CmdResult;
using cli_testing::readFile;
using cli_testing::sh;

struct Toolchain {
  std::string release;      // "1.19.8": the scenario's go: and what runtime.Version() must say
  std::string go;           // the go command, by full path
  std::string gotoolchain;  // GOTOOLCHAIN: local, or the fetched toolchain to switch to
  std::string installed;    // a file that exists when the toolchain is installed
};

std::string moduleCache() {
  if (const char* m = std::getenv("GOMODCACHE"); m && *m) return m;
  if (const char* p = std::getenv("GOPATH"); p && *p) return std::string(p) + "/pkg/mod";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/go/pkg/mod";
}

// The toolchains named in the project's notes; Debian 12's golang-go is the first.
std::vector<Toolchain> toolchains() {
  return {
      {"1.19.8", "/usr/lib/go-1.19/bin/go", "local", "/usr/lib/go-1.19/VERSION"},
      {"1.26.8", "/usr/local/go/bin/go", "local", "/usr/local/go/VERSION"},
      // Run through /usr/local/go's go command, which switches to the fetched toolchain; only
      // when it is already in the module cache (the test never downloads).
      {"1.27.3", "/usr/local/go/bin/go", "go1.27.3",
       moduleCache() + "/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/VERSION"},
  };
}

bool installed(const Toolchain& t) {
  if (!fs::exists(t.go) || !fs::exists(t.installed)) return false;
  std::string first;
  std::ifstream(t.installed) >> first;
  return first == "go" + t.release;
}

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

Scenario shortScenario(const std::string& go) {
  return parseScenario(R"(name: gonative
about: a small live set of tiny, small and large objects, dropped, then runtime.GC and FreeOSMemory
runtime: {go: ")" + go + R"(", gogc: 100, gomaxprocs: 2}
sample_every: 50ms
steps:
  - live_set: {name: cache, grow_to: 24MiB, size: {choice: [8B, 256B, 4KiB, 40KiB]}}
  - idle: 150ms
  - drop: {set: cache}
  - gc
  - free_os_memory
  - idle: 100ms
)",
                       "gonative.yaml");
}

// Runs the checker on dir with toolchain t: `go run .` in tests/gocheck, GOFLAGS unset, the
// go command's build cache kept beside the test binary.
CmdResult gocheck(const Toolchain& t, const std::string& dir) {
  const std::string cache = (fs::path(GOMEMSIM_BINARY).parent_path() / "gocheck-cache").string();
  return sh("cd '" + kRoot + "/tests/gocheck' && env -u GOFLAGS -u GO111MODULE GOTOOLCHAIN=" + t.gotoolchain +
            " GOCACHE='" + cache + "' '" + t.go + "' run . '" + dir + "'");
}

void replaceIn(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = readFile(path);
  size_t n = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()), ++n)
    text.replace(at, from.size(), to);
  ASSERT_GT(n, 0u) << from << " not in " << path;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(Outputs, OpenWithTheRealGoTools) {
  std::vector<Toolchain> here;
  for (const Toolchain& t : toolchains()) {
    if (installed(t)) here.push_back(t);
    else std::cout << "[ SKIPPED  ] go" << t.release << ": not installed (" << t.installed << ")\n";
  }
  if (here.empty()) GTEST_SKIP() << "no Go toolchain installed: none of go1.19.8, go1.26.8, go1.27.3";
  const std::string root = cli_testing::freshTempDir("gonative");
  for (const Toolchain& t : here) {
    SCOPED_TRACE("go" + t.release);
    const std::string dir = root + "/go" + t.release;
    const Scenario s = shortScenario(t.release);
    writeOutputs(dir, s, Simulation(s).run());
    ASSERT_TRUE(fs::exists(dir + "/metrics.csv"));
    ASSERT_TRUE(fs::exists(dir + "/memstats.jsonl"));
    const CmdResult ok = gocheck(t, dir);
    EXPECT_EQ(ok.status, 0) << ok.out;
    EXPECT_NE(ok.out.find("gocheck: ok with go" + t.release + "\n"), std::string::npos)
        << "the checker ran on go" << t.release << ":\n" << ok.out;
  }

  // The checker fails on what a wrong writer would produce (the first toolchain here suffices).
  const Toolchain& t = here.front();
  struct Break {
    const char* what;
    const char* file;
    const char* from;
    const char* to;
  };
  const Break breaks[] = {
      {"a misspelt metric name", "metrics.csv", "/gc/heap/goal:bytes", "/gc/heap/goal:byte"},
      {"a renamed MemStats field", "memstats.jsonl", "\"NumForcedGC\":", "\"NumForcedGc\":"},
      {"a field under two spellings", "memstats.jsonl", "\"NumGC\":", "\"NumGc\":0,\"NumGC\":"},
      {"a missing MemStats field", "memstats.jsonl", "\"Lookups\":0,", ""},
      {"a PauseNs short of 256 values", "memstats.jsonl", "\"PauseEnd\":[0,", "\"PauseEnd\":["},
      {"a string for a number", "memstats.jsonl", "\"MCacheSys\":0,", "\"MCacheSys\":\"0\","},
  };
  for (const Break& b : breaks) {
    SCOPED_TRACE(b.what);
    const std::string dir = root + "/broken";
    fs::remove_all(dir);
    fs::copy(root + "/go" + t.release, dir);
    replaceIn(dir + "/" + b.file, b.from, b.to);
    const CmdResult bad = gocheck(t, dir);
    EXPECT_NE(bad.status, 0) << "the checker accepted " << b.what << ":\n" << bad.out;
  }
  fs::remove_all(root);
}

// What Go's own consistency test (runtime/metrics_test.go TestReadMetricsConsistency) and
// MemStats's documentation promise, on whole simulations of three releases: the memory classes add
// up to /memory/classes/total, allocs - frees = the objects' bytes, the cycle counts add up, no
// figure is a wrapped negative; MemStats's Sys is the sum of its *Sys fields, HeapSys = HeapInuse
// + HeapIdle, HeapObjects = Mallocs - Frees, and both files agree with each other and trace.csv.
TEST(Outputs, GoNativeFiguresAreConsistentAsGoPromises) {
  const std::string root = cli_testing::freshTempDir("gonative-consistency");
  // burst-then-idle as two releases, and the short scenario, whose 8 B objects go through the
  // tiny allocator (Mallocs and Frees both count each tiny object).
  const std::vector<std::pair<std::string, Scenario>> runs = {
      {"1.19", parseScenario(readFile(kRoot + "/scenarios/burst-then-idle.yaml"), "burst-then-idle.yaml")},
      {"1.27", parseScenario(readFile(kRoot + "/scenarios/burst-then-idle.yaml"), "burst-then-idle.yaml")},
      {"1.21", shortScenario("1.21")},
  };
  bool tiny = false;
  for (auto [go, s] : runs) {
    SCOPED_TRACE(go);
    s.runtime.go_version = go;
    const SimResult r = Simulation(s).run();
    const std::string dir = root + "/" + go;
    writeOutputs(dir, s, r);

    std::istringstream csv(readFile(dir + "/metrics.csv"));
    std::string line;
    ASSERT_TRUE(std::getline(csv, line));
    std::vector<std::string> header;
    for (std::istringstream h(line); std::getline(h, line, ',');) header.push_back(line);
    std::istringstream jsonl(readFile(dir + "/memstats.jsonl"));
    size_t row = 0;
    while (std::getline(csv, line)) {
      SCOPED_TRACE("row " + std::to_string(row + 1));
      std::map<std::string, uint64_t> m;
      std::istringstream cells(line);
      std::string cell;
      for (size_t i = 0; std::getline(cells, cell, ','); ++i)
        if (i >= 2) m[header.at(i)] = std::stoull(cell);
      ASSERT_EQ(m.size(), header.size() - 2);
      for (const auto& [name, v] : m) {  // the settings say "none" with huge values (MaxInt64, uint64(-1))
        if (name != "/gc/gomemlimit:bytes" && name != "/gc/gogc:percent") {
          EXPECT_LT(v, uint64_t{1} << 62) << name << " is a wrapped negative";
        }
      }
      uint64_t classes = 0;
      for (const auto& [name, v] : m)
        if (name.rfind("/memory/classes/", 0) == 0 && name != "/memory/classes/total:bytes") classes += v;
      EXPECT_EQ(classes, m["/memory/classes/total:bytes"]);
      EXPECT_EQ(m["/gc/heap/allocs:bytes"] - m["/gc/heap/frees:bytes"], m["/memory/classes/heap/objects:bytes"]);
      EXPECT_EQ(m["/gc/heap/allocs:objects"] - m["/gc/heap/frees:objects"], m["/gc/heap/objects:objects"]);
      EXPECT_EQ(m["/gc/cycles/automatic:gc-cycles"] + m["/gc/cycles/forced:gc-cycles"], m["/gc/cycles/total:gc-cycles"]);

      std::string json;
      ASSERT_TRUE(std::getline(jsonl, json)) << "a memstats.jsonl line per metrics.csv row";
      const YAML::Node ms = YAML::Load(json)["memstats"];
      auto f = [&ms](const char* name) { return ms[name].as<uint64_t>(); };
      EXPECT_EQ(f("Sys"), f("HeapSys") + f("StackSys") + f("MSpanSys") + f("MCacheSys") + f("BuckHashSys") +
                              f("GCSys") + f("OtherSys"));
      EXPECT_EQ(f("HeapSys"), f("HeapInuse") + f("HeapIdle"));
      EXPECT_EQ(f("HeapObjects"), f("Mallocs") - f("Frees"));
      EXPECT_EQ(f("Alloc"), f("HeapAlloc"));
      EXPECT_EQ(f("Sys"), m["/memory/classes/total:bytes"]);
      EXPECT_EQ(f("HeapReleased"), m["/memory/classes/heap/released:bytes"]);
      EXPECT_EQ(f("NumGC"), m["/gc/cycles/total:gc-cycles"]);
      EXPECT_EQ(f("TotalAlloc"), m["/gc/heap/allocs:bytes"]);
      EXPECT_EQ(f("Mallocs"), m["/gc/heap/allocs:objects"] + m["/gc/heap/tiny/allocs:objects"]);
      EXPECT_EQ(f("NextGC"), m["/gc/heap/goal:bytes"]);
      EXPECT_EQ(f("HeapAlloc"), static_cast<uint64_t>(r.rows.at(row).mem.heapAlloc.v)) << "trace.csv's heap_alloc";
      ++row;
    }
    EXPECT_EQ(row, r.rows.size());
    EXPECT_GT(r.rows.back().mem.numGc, 0) << "the scenario runs GCs";
    tiny = tiny || r.rows.back().mem.tinyAllocs > 0;
  }
  EXPECT_TRUE(tiny) << "one of the runs allocates tiny objects";
  fs::remove_all(root);
}

}  // namespace
}  // namespace gomemsim
