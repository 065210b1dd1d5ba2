// Benchmarks: the allocation path, and whole scenarios (simulated seconds per wall second).
// Results are recorded in bench/RESULTS.md with the date and the machine.
#include <benchmark/benchmark.h>

#include "engine/simulation.h"
#include "runtime/runtime.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

// Small-object mallocs with exponential lifetimes, time advancing 1 ms per 300 allocations
// (100 MB/s of ~344 B objects), GC and sweeping included.
void BM_SmallAllocPath(benchmark::State& state) {
  RuntimeConfig cfg;
  Runtime rt(cfg);
  Rng rng(1);
  const Bytes sizes[4] = {Bytes(32), Bytes(64), Bytes(256), Bytes(1024)};
  int64_t n = 0;
  for (auto _ : state) {
    const Bytes size = sizes[n & 3];
    const DeathTick d = deathTickFor(rt.now(), Duration(static_cast<int64_t>(rng.exponential(5e8))));
    benchmark::DoNotOptimize(rt.malloc(0, size, false, d, size, 0));
    if (++n % 300 == 0) rt.advanceTo(rt.now() + Milliseconds(1), 0.1);
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_SmallAllocPath);

// The same allocations through the path the engine uses: per 1 ms quantum, 75 objects of each
// of the four sizes as one batch per size (Runtime::mallocBatch).
void BM_SmallAllocBatch(benchmark::State& state) {
  RuntimeConfig cfg;
  Runtime rt(cfg);
  Rng rng(1);
  const Bytes sizes[4] = {Bytes(32), Bytes(64), Bytes(256), Bytes(1024)};
  constexpr int kPerSize = 75;
  DeathTick deaths[kPerSize];
  int64_t n = 0;
  for (auto _ : state) {
    for (const Bytes size : sizes) {
      for (DeathTick& d : deaths) d = deathTickFor(rt.now(), Duration(static_cast<int64_t>(rng.exponential(5e8))));
      rt.mallocBatch(0, size, size, deaths, kPerSize, false, 0);
    }
    n += 4 * kPerSize;
    rt.advanceTo(rt.now() + Milliseconds(1), 0.1);
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_SmallAllocBatch);

// A scenario file (relative to the source tree) run whole, as `gomemsim run` does.
void BM_Scenario(benchmark::State& state, const char* file) {
  const Scenario s = loadScenario(std::string(GOMEMSIM_SOURCE_DIR) + "/" + file);
  double simulated = 0, allocations = 0;
  for (auto _ : state) {
    Simulation sim(s);
    const SimResult r = sim.run();
    simulated += r.rows.back().mem.timeS;
    allocations += static_cast<double>(sim.runtime().mallocs());
  }
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
  state.counters["allocs_per_wall_s"] = benchmark::Counter(allocations, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Scenario, steady_service, "scenarios/steady-service.yaml")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_Scenario, seed_10gb, "scenarios/seed-10gb.yaml")->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Scenario, burst_then_idle, "scenarios/burst-then-idle.yaml")->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
// Issue 10's regime: a 1-1.4 GB heap held at GOMEMLIMIT, ~7 GCs per simulated second, each
// followed by the sweep of ~80-100 k spans (40 s simulated, Go 1.19).
BENCHMARK_CAPTURE(BM_Scenario, at_limit, "tools/fidelity/at-limit.yaml")->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// Each scavenger policy on burst-then-idle (430 s simulated): the cost of the policy itself.
// Wall time per simulated hour = 3600 / sim_s_per_wall_s.
void BM_ScavengerPolicy(benchmark::State& state, const char* policy) {
  Scenario s = loadScenario(std::string(GOMEMSIM_SOURCE_DIR) + "/scenarios/burst-then-idle.yaml");
  applySet(s, std::string("scavenger=") + policy);
  double simulated = 0;
  for (auto _ : state) {
    Simulation sim(s);
    const SimResult r = sim.run();
    simulated += r.rows.back().mem.timeS;
  }
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_ScavengerPolicy, none, "none")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_ScavengerPolicy, sysmon_5min, "sysmon-5min")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_ScavengerPolicy, background, "background")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_ScavengerPolicy, background_1_19, "background-1.19")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_ScavengerPolicy, background_1_21, "background-1.21")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace gomemsim

BENCHMARK_MAIN();
