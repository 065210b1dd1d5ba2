// engine: plays a scenario forward in simulated time against the runtime model.
//
// Executes the scenario's steps in order. Allocation streams are paced in 1 ms quanta (each
// stream allocates the bytes its rate owes by the end of the quantum, objects drawn from its
// distributions); phases with no rate ("as fast as possible" live sets, append) advance the
// clock by the mutator cost model. Live sets and slices are named references: their objects
// carry a tag instead of a death time until a drop turns the tag into "now". Samples are taken
// every `sample_every` and right after every step. The engine owns the Rng streams of the
// workload; the runtime owns its own, so results depend only on the scenario and seed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/rng.h"
#include "engine/draws.h"
#include "runtime/runtime.h"
#include "scenario/scenario.h"
#include "workload/workload.h"

namespace gomemsim {

struct TraceRow {
  std::string step;
  MemSnapshot mem;
};

struct SimResult {
  std::vector<TraceRow> rows;
  std::vector<std::string> gctrace;  // gctrace and scavtrace lines, in order
  std::string scavenger, pacer, madvise, goVersion;
};

RuntimeConfig runtimeConfigFor(const Scenario& s);

class Simulation {
 public:
  explicit Simulation(const Scenario& s);
  SimResult run();
  Runtime& runtime() { return rt_; }

 private:
  struct Slice {
    ObjectRef ref{};
    bool hasObject = false;
    int64_t len = 0, cap = 0;
    DeathTick tag = kForever;
  };
  void runStep(const Step& step);
  void runAlloc(const RunStep& r);
  void allocateDraws(const AllocStream& s, const SizeSampler& sizes, int bucket, const StreamDraws& d);
  void growLiveSet(const LiveSetStep& l);
  void append(const AppendStep& a);
  void drop(const DropStep& d);
  void idle(Duration d);
  // Advance to t, taking the periodic samples on the way.
  void advance(SimTime t, double mutatorCpus);
  void sample();
  DeathTick tagFor(const std::string& set);

  const Scenario& sc_;
  Runtime rt_;
  Rng rng_;
  GrowsliceRule growslice_;
  SimResult result_;
  std::string currentStep_;
  SimTime nextSample_{0};
  std::map<std::string, DeathTick> sets_;
  std::map<std::string, Slice> slices_;
  int nextBucket_ = 0;

  std::map<std::string, int> buckets_;
};

}  // namespace gomemsim
