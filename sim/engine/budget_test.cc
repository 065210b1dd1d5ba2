#include "engine/budget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

Scenario parse(const std::string& body) { return parseScenario("name: t\nabout: budget\n" + body, "t.yaml"); }

TEST(Budget, LiveSetsAndTimedStreamsMakeTheDemandAndGogcTheHeap) {
  const RunEstimate e = estimateRun(parse(
      "steps:\n"
      "  - live_set: {name: a, grow_to: 1GiB, size: 64B}\n"
      "  - run: {for: 10s, alloc: [{rate: 100MB/s, size: 1KiB, lifetime: {exponential: 500ms}}]}\n"
      "  - drop: a\n"
      "  - idle: 5s\n"));
  EXPECT_DOUBLE_EQ(e.demandBytes, 1073741824.0 + 50e6) << "the set plus rate x mean lifetime";
  EXPECT_DOUBLE_EQ(e.heapBytes, 2 * e.demandBytes) << "GOGC=100";
  EXPECT_DOUBLE_EQ(e.simulatedSeconds, 15);
  EXPECT_NEAR(e.objects, 1073741824.0 / 64 + 1e9 / 1024, 1);
  EXPECT_DOUBLE_EQ(e.samples, 150 + 4) << "every 100 ms, and after each step";
}

TEST(Budget, GogcOffGrowsTheHeapWithAllocationUpToTheMachineOrTheLimit) {
  const std::string steps = "steps:\n  - run: {for: 100s, alloc: [{rate: 100MB/s, size: 1KiB, lifetime: {exponential: 10ms}}]}\n";
  EXPECT_DOUBLE_EQ(estimateRun(parse("runtime: {gogc: off}\n" + steps)).heapBytes, 10e9);
  EXPECT_DOUBLE_EQ(estimateRun(parse("runtime: {gogc: off}\nmachine: {memory: 4GiB}\n" + steps)).heapBytes, 4294967296.0)
      << "the modelled kernel OOM-kills the program there";
  EXPECT_DOUBLE_EQ(estimateRun(parse("runtime: {gogc: off, memory_limit: 1GiB}\n" + steps)).heapBytes, 1073741824.0);
}

TEST(Budget, RefusesWhatGoCannotMapWhatOverflowsMemoryAndWhatNeverEnds) {
  const RunLimits limits{8.0 * (int64_t{1} << 30), 24 * 3600.0, 1};
  auto why = [&](const std::string& body) { return refusal(parse(body), estimateRun(parse(body)), limits); };
  const auto map = why("steps:\n  - live_set: {name: a, grow_to: 300TiB, size: 64B}\n");
  ASSERT_TRUE(map);
  EXPECT_NE(map->find("256 TiB"), std::string::npos) << *map;
  EXPECT_NE(map->find("heapAddrBits"), std::string::npos) << *map;
  const auto mem = why("steps:\n  - run: {for: 100000h, alloc: [{rate: 10GB/s, size: 8B, lifetime: {exponential: 1ms}}]}\n");
  ASSERT_TRUE(mem);
  EXPECT_NE(mem->find("--max-memory"), std::string::npos) << *mem;
  const auto slots = why("machine: {memory: 1TiB}\nsteps:\n  - live_set: {name: a, grow_to: 900GiB, size: 8B}\n");
  ASSERT_TRUE(slots) << "6 B per slot of a 900 GiB heap of tiny objects";
  EXPECT_NE(slots->find("--max-memory"), std::string::npos) << *slots;
  const auto wall = why("sample_every: 1000h\nsteps:\n  - run: {for: 100000h, alloc: [{rate: 10GB/s, size: 8B, lifetime: {exponential: 1ms}}]}\n");
  ASSERT_TRUE(wall);
  EXPECT_NE(wall->find("--max-time"), std::string::npos) << *wall;
  EXPECT_NE(wall->find("years"), std::string::npos) << *wall;
  const std::string half = "steps:\n  - live_set: {name: a, grow_to: 600GiB, size: 64B}\nmachine: {memory: 1TiB}\n";
  const RunEstimate e = estimateRun(parse(half));
  RunLimits fits = limits;
  fits.maxMemoryBytes = e.simulatorBytes * 1.5;
  EXPECT_FALSE(refusal(parse(half), e, fits));
  fits.jobs = 2;
  EXPECT_TRUE(refusal(parse(half), e, fits)) << "compare runs --jobs simulations at once";
}

TEST(Budget, EveryShippedScenarioFitsASmallMachineAndItsHeapEstimateIsAnUpperBound) {
  // 8 GiB and a minute: every file in scenarios/ runs on a small machine. The estimate is an
  // upper bound of the heap the simulation reaches (heap_sys at its peak).
  const RunLimits small{8.0 * (int64_t{1} << 30), 60, 1};
  for (const auto& f : std::filesystem::directory_iterator(std::string(GOMEMSIM_SOURCE_DIR) + "/scenarios")) {
    if (f.path().extension() != ".yaml") continue;
    const Scenario s = loadScenario(f.path().string());
    const RunEstimate e = estimateRun(s);
    EXPECT_FALSE(refusal(s, e, small)) << f.path();
    Simulation sim(s);
    const SimResult r = sim.run();
    double peak = 0;
    for (const TraceRow& x : r.rows) peak = std::max(peak, static_cast<double>(x.mem.heapInuse.v));
    EXPECT_LE(peak, e.heapBytes * 1.05) << f.path();
  }
}

}  // namespace
}  // namespace gomemsim
