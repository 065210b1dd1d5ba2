// The heap profiles a run writes open in `go tool pprof` of every Go release the project checks
// against (Debian's go1.19.8, /usr/local/go's go1.26.8, the module cache's go1.27.3; each one not
// installed is skipped, named): -top shows the scenario's streams by name under both sample
// indexes, and its in-use total is close to summary.json's pprof in-use total.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/cli_test_support.h"
#include "validate/real_go.h"

namespace gomemsim {
namespace {

using cli_testing::sh;

const std::string kBinary = GOMEMSIM_BINARY;

constexpr const char* kScenario = R"(name: pprof-two-streams
about: two named streams beside a live set, for go tool pprof
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
sample_every: 100ms
steps:
  - live_set: {name: cache, grow_to: 32MB, size: {choice: [256B]}}
  - run:
      for: 3s
      alloc:
        - {name: requests, rate: 50MB/s, size: {choice: [64B, 1KiB]}, lifetime: {exponential: 500ms}}
        - {name: sessions, rate: 10MB/s, size: {choice: [4KiB]}, lifetime: {exponential: 2s}}
)";

// pprof's "Showing nodes accounting for X, P% of T total": T in bytes (pprof's MB is 2^20 B).
double pprofTotalBytes(const std::string& top) {
  const size_t end = top.find(" total\n");
  const size_t of = top.rfind(" of ", end);
  if (end == std::string::npos || of == std::string::npos) return -1;
  const std::string t = top.substr(of + 4, end - of - 4);  // "62.57MB"
  const size_t unit = t.find_first_not_of("0123456789.");
  if (unit == 0 || unit == std::string::npos) return -1;
  const std::string u = t.substr(unit);
  const double scale = u == "B" ? 1 : u == "kB" ? 1024.0 : u == "MB" ? 1048576.0 : u == "GB" ? 1073741824.0 : -1;
  return std::stod(t.substr(0, unit)) * scale;
}

// summary.json's at_end pprof_inuse.
double summaryEndPprof(const std::string& json) {
  const std::string key = "\"pprof_inuse\": ";
  const size_t at = json.find(key, json.find("\"at_end\""));
  return at == std::string::npos ? -1 : std::stod(json.substr(at + key.size()));
}

class PprofTool : public ::testing::TestWithParam<std::string> {};

TEST_P(PprofTool, TopShowsTheStreamsAndThePublishedTotal) {
  std::string go;
  for (const GoToolchain& t : installedGoToolchains())
    if (t.version == GetParam()) go = t.go;
  if (go.empty())
    GTEST_SKIP() << GetParam() << " is not installed (/usr/lib/go-1.19/bin/go, /usr/local/go/bin/go, or "
                 << "`GOTOOLCHAIN=" << GetParam() << " go version` to fetch it); found: " << describeGoToolchains();
  const std::string dir = cli_testing::freshTempDir("pprof-tool-" + GetParam());
  std::ofstream(dir + "/pprof-two-streams.yaml") << kScenario;
  const auto run = sh(kBinary + " run " + dir + "/pprof-two-streams.yaml --quiet --out " + dir + "/out");
  ASSERT_EQ(run.status, 0) << run.out;
  const double want = summaryEndPprof(cli_testing::readFile(dir + "/out/summary.json"));
  ASSERT_GT(want, 0);
  for (const std::string index : {"inuse_space", "alloc_space"}) {
    const auto top = sh("cd " + dir + "/out && GOTOOLCHAIN=local " + go + " tool pprof -top -sample_index=" + index +
                        " heap-end.pb.gz");
    ASSERT_EQ(top.status, 0) << top.out;
    EXPECT_NE(top.out.find("Type: " + index), std::string::npos) << top.out;
    EXPECT_NE(top.out.find(" requests\n"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find(" sessions\n"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find(" live_set cache\n"), std::string::npos) << top.out;
    const double got = pprofTotalBytes(top.out);
    // In use: the published cycle's, sampled. Allocated: every published allocation, freed or
    // not (as of the same cycle, two behind the run's allocations: mprof.go).
    if (index == "inuse_space") EXPECT_NEAR(got, want, 0.1 * want) << top.out;
    else EXPECT_GT(got, 1.3 * want) << top.out;
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(EveryCheckedGo, PprofTool, ::testing::Values("go1.19.8", "go1.26.8", "go1.27.3"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (c == '.') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace gomemsim
