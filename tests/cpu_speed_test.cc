// machine.cpu_speed against real runs on two machines of the same kind (tests/fidelity/README.md,
// "Another machine"): the set in tests/fidelity/go1.26.8 was recorded on 2026-12-05, and the
// runs in tests/fidelity/another-machine/2026-12-08 on a 2-vCPU AMD EPYC VM whose at-limit
// sweeps and marks took about half as long. At the memory limit the GC count follows the
// machine's speed; gomemsim follows it through machine.cpu_speed.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

// num_gc of the last row of a real run's trace.csv.
int64_t realGcs(const std::string& dir) {
  std::ifstream in(dir + "/trace.csv");
  std::string header, line, last;
  std::getline(in, header);
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  std::vector<std::string> names, values;
  for (std::stringstream h(header); std::getline(h, line, ',');) names.push_back(line);
  for (std::stringstream v(last); std::getline(v, line, ',');) values.push_back(line);
  for (size_t i = 0; i < names.size() && i < values.size(); ++i)
    if (names[i] == "num_gc") return std::stoll(values[i]);
  throw std::runtime_error("no num_gc in " + dir + "/trace.csv");
}

int64_t simulatedGcs(const std::string& id, double speed) {
  Scenario s = loadScenario(kRoot + "/tools/fidelity/" + id + ".yaml");
  applySet(s, "go=1.26.8");
  s.machine.cpu_speed = speed;
  Simulation sim(s);
  return sim.run().rows.back().mem.numGc;
}

double relErr(int64_t sim, int64_t real) {
  return (static_cast<double>(sim) - static_cast<double>(real)) / static_cast<double>(real);
}

TEST(CpuSpeedFidelity, AtLimitOnTheFasterMachineWantsItsSpeed) {
  const int64_t real = realGcs(kRoot + "/tests/fidelity/another-machine/2026-12-08/go1.26.8/at-limit");
  // Its marks (12-17 ms against 22-27) and sweeps (~25 ms between cycles against ~45-50) took
  // about half as long as the calibration machine's: 1.9.
  EXPECT_NEAR(relErr(simulatedGcs("at-limit", 1.9), real), 0.0, 0.10) << real << " real GCs";
  EXPECT_LT(relErr(simulatedGcs("at-limit", 1.0), real), -0.30) << "the calibration machine's speed misses it";
}

}  // namespace
}  // namespace gomemsim
