// gomemsim fit as a user runs it: a real log with a line cut short, a file with no gctrace, a
// missing file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_test_support.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

using cli_testing::CmdResult;
using cli_testing::sh;

const std::string kBin = GOMEMSIM_BINARY;
const std::string kRoot = GOMEMSIM_SOURCE_DIR;

TEST(FitCommand, WritesAScenarioThatRunsAndSkipsTheLineItCannotRead) {
  const std::string dir = cli_testing::freshTempDir("fit");
  // A real log (Go 1.26.8 steady-service) with its fifth line cut short, behind a logger's prefix.
  std::ifstream in(kRoot + "/tests/fidelity/go1.26.8/steady-service/run-1/gctrace.log");
  std::ofstream log(dir + "/service.log");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (++n == 5) line = line.substr(0, 40);
    log << "app[1]: " << line << "\n";
  }
  log.close();
  const CmdResult r = sh(kBin + " fit " + dir + "/service.log --go 1.26 --out " + dir + "/fitted.yaml");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("skipped " + dir + "/service.log:5: expected 'gc N @Ts"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GOMAXPROCS 2, GOGC 100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("heap after mark"), std::string::npos) << r.out;
  const Scenario s = loadScenario(dir + "/fitted.yaml");
  EXPECT_EQ(s.runtime.go_version, "1.26") << "--go as given (it runs as that release's newest patch)";
  EXPECT_EQ(sh(kBin + " run " + dir + "/fitted.yaml --quiet --out " + dir + "/run").status, 0);
}

TEST(FitCommand, NothingUsableIsExitTwoAndWritesNothing) {
  const std::string dir = cli_testing::freshTempDir("fit-bad");
  {
    std::ofstream f(dir + "/empty.log");
    f << "server started\nno GC lines at all\n";
  }
  cli_testing::expectRefusedWritingNothing(kBin + " fit " + dir + "/empty.log", dir + "/a.yaml", "no readable gctrace line");
  cli_testing::expectRefusedWritingNothing(kBin + " fit " + dir + "/missing.log", dir + "/b.yaml", "cannot read");
  cli_testing::expectRefusedWritingNothing(kBin + " fit " + dir + "/empty.log --go 2.5", dir + "/c.yaml", "gomemsim fit:");
}

// run --fit LOG and compare --fit LOG: the fitted scenario runs as a scenario file would, and is
// written beside the outputs; the GC count follows the log's (its 26 cycles at GOGC=100), and
// a compare of GOGC on it halves and doubles the goal.
TEST(FitCommand, RunAndCompareTakeALogInsteadOfAScenario) {
  const std::string dir = cli_testing::freshTempDir("fit-run");
  const std::string log = kRoot + "/tests/fidelity/go1.26.8/steady-service/run-1/gctrace.log";
  const CmdResult run = sh(kBin + " run --fit " + log + " --out " + dir + "/run");
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("--fit: " + log + ": "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(dir + "/run/fitted.yaml"), std::string::npos) << run.out;
  const Scenario fitted = loadScenario(dir + "/run/fitted.yaml");
  EXPECT_EQ(fitted.runtime.gogc, 100);
  const CmdResult cmp = sh(kBin + " compare --fit " + log + " --vary gogc=50,200 --quiet --out " + dir + "/cmp");
  ASSERT_EQ(cmp.status, 0) << cmp.out;
  const std::string csv = cli_testing::readFile(dir + "/cmp/compare.csv");
  EXPECT_NE(csv.find("gogc=50"), std::string::npos) << csv;
  EXPECT_NE(csv.find("gogc=200"), std::string::npos) << csv;
  EXPECT_TRUE(std::filesystem::exists(dir + "/cmp/fitted.yaml"));
  // Both, or neither, is bad input; so is a log with nothing in it, and nothing is written.
  cli_testing::expectRefusedWritingNothing(kBin + " run " + kRoot + "/scenarios/seed.yaml --fit " + log, dir + "/a",
                                           "not both");
  cli_testing::expectRefusedWritingNothing(kBin + " run", dir + "/b", "missing SCENARIO");
  {
    std::ofstream f(dir + "/empty.log");
    f << "no GC lines at all\n";
  }
  cli_testing::expectRefusedWritingNothing(kBin + " compare --vary gogc=50,100 --fit " + dir + "/empty.log", dir + "/c",
                                           "--fit: " + dir + "/empty.log: ");
}

}  // namespace
}  // namespace gomemsim
