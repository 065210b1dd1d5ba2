// libFuzzer target: the scenario reader and the command-line overrides (--env, --set), then the
// run budget's estimate. An input is a scenario's YAML, optionally followed by a line
// "#overrides" and lines "env GOGC=off,..." or "set key=value". What must hold for any input:
// it is read, or refused with ScenarioError naming the file ("fuzz.yaml", "--env" or "--set"),
// the line in the file and a message - never another exception, a crash, or undefined behaviour (the
// target is built with AddressSanitizer and UndefinedBehaviorSanitizer).
// Seeds: scenarios/ and tools/fidelity/ (CMakeLists.txt, GOMEMSIM_FUZZ).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "engine/budget.h"
#include "scenario/scenario.h"

using namespace gomemsim;

namespace {

void fail(const std::string& why) {
  std::fprintf(stderr, "scenario_fuzz: %s\n", why.c_str());
  std::abort();
}

// The error names the file (and, in a scenario file, the line) and says what was expected.
void checkError(const ScenarioError& e, const std::string& inFile) {
  const std::string what = e.what();
  if (e.file() != inFile) fail("ScenarioError names file '" + e.file() + "', expected '" + inFile + "': " + what);
  const bool flag = inFile.rfind("--", 0) == 0;  // --env, --set: no line
  if (!flag && e.line() < 1) fail("ScenarioError without a line: " + what);
  const std::string prefix = flag ? inFile + ": " : inFile + ":" + std::to_string(e.line()) + ":";
  if (what.rfind(prefix, 0) != 0) fail("ScenarioError does not start with '" + prefix + "': " + what);
  if (what.size() <= prefix.size() + 8) fail("ScenarioError without a message: " + what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n#overrides\n";
  const size_t cut = text.find(marker);
  const std::string yaml = text.substr(0, cut);
  Scenario s;
  try {
    s = parseScenario(yaml, "fuzz.yaml");
  } catch (const ScenarioError& e) {
    checkError(e, "fuzz.yaml");
    return 0;
  }
  if (cut != std::string::npos) {
    std::istringstream lines(text.substr(cut + marker.size()));
    for (std::string line; std::getline(lines, line);) {
      const bool env = line.rfind("env ", 0) == 0, set = line.rfind("set ", 0) == 0;
      if (!env && !set) continue;
      try {
        if (env) applyEnv(s, line.substr(4));
        else applySet(s, line.substr(4));
      } catch (const ScenarioError& e) {
        checkError(e, env ? "--env" : "--set");
        return 0;
      }
    }
  }
  // The budget reads every step of whatever was accepted.
  const RunEstimate est = estimateRun(s);
  RunLimits limits;
  limits.maxMemoryBytes = 1e9;
  limits.maxWallSeconds = 60;
  (void)refusal(s, est, limits);
  return 0;
}
