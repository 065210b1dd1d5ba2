// engine: plays a scenario forward in simulated time against the runtime model.
//
// Executes the scenario's steps in order. Allocation streams are paced in 1 ms quanta (each
// stream allocates the bytes its rate owes by the end of the quantum, objects drawn from its
// distributions); phases with no rate ("as fast as possible" live sets, append) advance the
// clock by the mutator cost model. Live sets and slices are named references: their objects
// carry a tag instead of a death time until a drop turns the tag into "now". A program holds a
// pointer to each object it keeps, so a live set also allocates the memory of those pointers,
// as the real-Go driver's pool holds them (sim/validate/driver/workload.go: chunks of 1020
// pointers, 8 B per object): one 8192 B noscan chunk with the set's first object and with every
// 1020th after it, under a tag of its own, freed only when the whole set is dropped. An append
// slice is held by one slice header: no chunks. Nor do a `run` stream's objects without a set
// get any (not modelled: the driver's lifetime wheel and its pool of lifetime-forever objects,
// ~8 B per object). Samples are taken every `sample_every` and right after every step. The
// engine owns the Rng streams of the workload; the runtime owns its own, so results depend
// only on the scenario and seed. A RunMonitor (run_control.h) may watch the run and stop it: the
// run then ends at the clock's next step with a last sample labelled "interrupted".
// The heap profile (runtime/heap_profile.h) is read, as an observer, at three kinds of instant:
// the sample of peak RSS, the end of each step, the end of the run (HeapProfileCapture); each of
// its allocation sites is a stream (or live set, append slice, live set's pointers) and the step
// that allocated it.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "engine/draws.h"
#include "engine/run_control.h"
#include "runtime/runtime.h"
#include "scenario/scenario.h"
#include "workload/workload.h"

namespace gomemsim {

struct TraceRow {
  std::string step;  // trace.csv's `step`: the step's name if it has one (Step::shown), else its label
  MemSnapshot mem;
  std::string kind;  // the step's label ("run", "drop:cache"; "start", "oom_kill", "interrupted"
                     // for rows of no step): what compare and validate classify rows by
  int stepIndex = -1;  // the step's index in the scenario; -1 before the first step, the number
                       // of steps for a last oom_kill or interrupted row: rows split by it
};

// One allocation site of a heap profile: what was allocated, by which step.
struct HeapProfileSite {
  std::string name;  // the stream or what it grows: "requests", "live_set cache", "append s", "live_set cache refs"
  int step = 0;      // index in Scenario::steps of the step that allocated
  HeapProfile::SiteCounts counts;  // sampled, unscaled (runtime.MemProfileRecord)
};

// The heap profile runtime.MemProfile would have returned at one instant (the published cycle,
// heap_profile.h), for observe/heap_pprof.h to write as runtime/pprof does.
struct HeapProfileCapture {
  SimTime time{0};
  std::string step;  // the trace row's step at that instant
  std::vector<HeapProfileSite> sites;
};

struct SimResult {
  std::vector<TraceRow> rows;
  // The heap profile at the first sample of the highest RSS (summarize's peak), after each step
  // that ran to its end (in step order: step i's at [i] while no step was cut short), and at
  // the run's last sample.
  std::optional<HeapProfileCapture> profileAtPeak;
  std::vector<HeapProfileCapture> profileAfterStep;
  std::optional<HeapProfileCapture> profileAtEnd;
  int64_t memProfileRate = 0;  // runtime.MemProfileRate of the run
  std::vector<std::string> gctrace;  // gctrace and scavtrace lines, in order
  std::string scavenger, pacer, madvise, goVersion;
  const GoRelease* release = nullptr;  // the version table's row the run followed (runtimeConfigFor)
  bool goVersionGiven = true;  // false: the scenario gives no go: and runs the newest release
  int interruptedBy = 0;       // the signal that stopped the run before its end (0: it ran to the end)
  double plannedSeconds = 0;   // the steps' durations (as-fast-as-possible phases count 0)
};

RuntimeConfig runtimeConfigFor(const Scenario& s);

// A live set's reference chunk, as the driver's pool allocates it (workload.go `chunk`: 1020
// pointers and a count, 8168 B, the 8192 B size class): 8 B per object held.
inline constexpr int64_t kRefChunkLen = 1020;
inline constexpr int64_t kRefChunkBytes = kRefChunkLen * 8 + 8;

class Simulation {
 public:
  explicit Simulation(const Scenario& s);
  SimResult run();
  Runtime& runtime() { return rt_; }
  // The steps' durations (engine/budget.h estimateRun), as SimResult::plannedSeconds will say.
  double plannedSeconds() const { return result_.plannedSeconds; }
  // Watched by `m` from now on (not owned; nullptr: no monitor).
  void setMonitor(RunMonitor* m) { monitor_ = m; }

 private:
  struct Slice {
    ObjectRef ref{};
    bool hasObject = false;
    int64_t len = 0, cap = 0;
    DeathTick tag = kForever;
  };
  // The pointers a program holds to a live set's objects (the driver's pool): chunks of
  // kRefChunkLen pointers, filled in order; a partial drop nils pointers and leaves the chunks.
  struct SetRefs {
    DeathTick tag = 0;   // the chunks' own tag: only a whole-set drop turns it into "now"
    int bucket = 0;      // heap profile bucket "live_set:<name>:refs"
    int64_t room = 0;    // pointers left in the last chunk (0: the next object needs a new one)
  };
  void runStep(const Step& step);
  void runAlloc(const RunStep& r);
  void allocateDraws(const AllocStream& s, const SizeSampler& sizes, int bucket, const StreamDraws& d,
                     SetRefs* refs);
  SetRefs& refsFor(const std::string& set);
  // n objects joined the set: allocates the chunks their pointers need (on P p, as the objects)
  // and returns how many.
  int64_t holdRefs(SetRefs& r, int p, int64_t n);
  // Advances to `due`, or past it while the runtime holds the allocating goroutine up; `free`
  // is when the goroutine is next free.
  void waitUntilFree(SimTime due, SimTime& free, double mutatorCpus);
  // The program's own CPU time for work that costs `ns` on the calibration machine
  // (workload.h), on this one (machine.cpu_speed).
  double programNs(double ns) const { return ns / sc_.machine.cpu_speed; }
  // A quantum's draws with their timed deaths `late` ticks later (the quantum was allocated late).
  const StreamDraws& shifted(const StreamDraws& d, DeathTick late);
  void dropRefs(SetRefs& r, DeathTick now);
  void growLiveSet(const LiveSetStep& l);
  void append(const AppendStep& a);
  void drop(const DropStep& d);
  void idle(Duration d);
  // Advance to t, taking the periodic samples on the way.
  void advance(SimTime t, double mutatorCpus);
  void sample();
  // The heap profile as published now (an observer's read).
  HeapProfileCapture captureProfile() const;
  std::string bucketName(int bucket) const;
  // Throws Stopped when the monitor asks the run to end.
  void checkStop() const;
  struct Stopped {
    int sig;
  };
  DeathTick tagFor(const std::string& set);

  const Scenario& sc_;
  Runtime rt_;
  Rng rng_;
  GrowsliceRule growslice_;
  SimResult result_;
  std::string currentStep_, currentKind_;
  int currentIndex_ = -1;
  SimTime nextSample_{0};
  StreamDraws shifted_;  // shifted()'s
  std::map<std::string, DeathTick> sets_;
  std::map<std::string, SetRefs> refs_;  // by live set name
  DeathTick nextTag_ = kTagBase + 1;     // tags of sets, slices and reference chunks
  std::map<std::string, Slice> slices_;
  int nextBucket_ = 0;
  RunMonitor* monitor_ = nullptr;

  std::map<std::string, int> buckets_;
  // The peak capture's RSS and the profile it holds (Runtime::publishedProfileKey).
  Bytes peakRss_{-1};
  std::array<int64_t, 4> peakProfileKey_{};
};

}  // namespace gomemsim
