// libFuzzer target: whole short simulations of fuzzed scenarios. An input is a scenario's YAML;
// one the reader refuses, or whose run budget (engine/budget.h) is above a few seconds of
// simulated time and a few hundred MB, is skipped. The rest run to the end, and on every sample
// the runtime's accounting must agree with counts kept apart from it (Runtime::audit: the page
// allocator's, the OS model's and the spans' recounts; freed plus live equals allocated, nothing
// released twice, released pages never in use or resident, RSS under what is mapped), with no
// exception escaping, no crash and no undefined behaviour (ASan + UBSan).
// Seeds: scenarios/ and tools/fidelity/ (CMakeLists.txt, GOMEMSIM_FUZZ).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/budget.h"
#include "engine/run_control.h"
#include "engine/simulation.h"
#include "scenario/scenario.h"

using namespace gomemsim;

namespace {

// Small enough that one input runs in well under a second.
constexpr double kMaxSimulatedSeconds = 20;
constexpr double kMaxHeapBytes = 256.0 * 1024 * 1024;
constexpr double kMaxObjects = 2e6;
constexpr double kMaxSamples = 2000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Scenario s;
  try {
    s = parseScenario(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const ScenarioError&) {
    return 0;
  }
  const RunEstimate e = estimateRun(s);
  if (e.simulatedSeconds > kMaxSimulatedSeconds || e.heapBytes > kMaxHeapBytes || e.demandBytes > kMaxHeapBytes ||
      e.objects > kMaxObjects || e.samples > kMaxSamples)
    return 0;
  Simulation sim(s);
  AccountingAudit audit(sim.runtime());
  sim.setMonitor(&audit);
  const SimResult r = sim.run();
  if (audit.samplesAudited() != static_cast<int64_t>(r.rows.size())) {
    std::fprintf(stderr, "simulation_fuzz: %zu samples, %lld audited\n", r.rows.size(),
                 static_cast<long long>(audit.samplesAudited()));
    std::abort();
  }
  if (!audit.failures().empty()) {
    for (const std::string& f : audit.failures()) std::fprintf(stderr, "simulation_fuzz: %s\n", f.c_str());
    std::abort();
  }
  return 0;
}
