// observe: turns a simulation's samples into what a user reads: trace.csv (SPEC.md's columns),
// gctrace.log (GODEBUG=gctrace=1,scavtrace=1 lines), summary.json, report.html (observe/report.h)
// and the text summary; and, for Go's own tools, the heap profiles heap-*.pb.gz
// (observe/heap_pprof.h), metrics.csv (one column per runtime/metrics
// name the simulated release exports and gomemsim models, spelled as Go 1.16+'s
// runtime/metrics/description.go spells it, from the version table's metricsSet) and
// memstats.jsonl (runtime.MemStats as expvar's /debug/vars serves it, Go mstats.go's field
// names and JSON types; fields gomemsim does not model are 0). Not written: histograms
// (/gc/pauses, allocs-by-size), the CPU classes, and what the README lists as left out.
// Observers only read results; every file is written to a temporary name and renamed, so a
// failed run leaves no partial output.
#pragma once

#include <ostream>
#include <set>
#include <string>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {

struct Summary {
  MemSnapshot peak;        // the sample with the highest rss
  std::string peakStep;
  MemSnapshot end;
  Bytes peakPprof;
  double simulatedSeconds = 0;
  bool oomKilled = false;  // the run ended with the kernel's OOM kill (the last sample)
  int interruptedBy = 0;   // the signal that stopped the run early: every output is partial
  double plannedSeconds = 0;
};

Summary summarize(const SimResult& r);
// "116 GCs (7 periodic, 0 by runtime.GC())": every completed cycle, of them sysmon's two-minute
// ones (proc.go forcegcperiod; Go counts them in NumGC only) and those runtime.GC asked for
// (MemStats.NumForcedGC).
std::string gcCountWords(const MemSnapshot& m);
// The GC CPU limiter's time on, and the part of it the program was idle, in words that say what
// the figures are (gc_limiter.h); empty when it never turned on.
std::string limiterOnWords(const MemSnapshot& m);
std::string limiterIdleWords(const MemSnapshot& m);
std::string traceCsv(const SimResult& r);
// gctrace.log: the run's GODEBUG=gctrace=1,scavtrace=1 lines, one per line, nothing added.
std::string gctraceLog(const SimResult& r);
std::string summaryJson(const Scenario& s, const SimResult& r, const Summary& sum);
// metrics.csv: time_s, step, then runtimeMetricNames(go) (goversion.h), one row per sample.
// Empty for a release without runtime/metrics (Go <= 1.15).
std::string metricsCsv(const SimResult& r, const GoRelease& go);
// memstats.jsonl: {"time_s":...,"step":"...","memstats":{runtime.MemStats}} per sample; `go`
// gives BySize's class sizes.
std::string memstatsJsonl(const SimResult& r, const GoRelease& go);
void printSummary(std::ostream& out, const Scenario& s, const SimResult& r, const Summary& sum);
// Writes trace.csv, gctrace.log, summary.json, report.html, memstats.jsonl, the heap profiles
// (heap-peak, heap-end, heap-step-NN-LABEL .pb.gz) and, from Go 1.16, metrics.csv into dir
// (created if missing; a metrics.csv of an earlier run is removed when the release has no
// runtime/metrics).
void writeOutputs(const std::string& dir, const Scenario& s, const SimResult& r);
// Removes the files of dir named PREFIX...SUFFIX that are not in `keep`: what an earlier run
// into the same directory wrote and this one did not (step profiles, compare's gctrace logs).
void removeStaleFiles(const std::string& dir, const std::string& prefix, const std::string& suffix,
                      const std::set<std::string>& keep);
// Writes `content` to path atomically (temporary name + rename).
void writeFileAtomic(const std::string& path, const std::string& content);

}  // namespace gomemsim
