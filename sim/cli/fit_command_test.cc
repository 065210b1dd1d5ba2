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

}  // namespace
}  // namespace gomemsim
