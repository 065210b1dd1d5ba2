// observe: turns a simulation's samples into what a user reads: trace.csv (SPEC.md's columns),
// gctrace.log (GODEBUG=gctrace=1,scavtrace=1 lines), summary.json, report.html (observe/report.h),
// the heap profiles heap-*.pb.gz (observe/heap_pprof.h) and the text summary.
// Observers only read results; every file is written to a temporary name and renamed, so a
// failed run leaves no partial output.
#pragma once

#include <ostream>
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
std::string traceCsv(const SimResult& r);
std::string summaryJson(const Scenario& s, const SimResult& r, const Summary& sum);
void printSummary(std::ostream& out, const Scenario& s, const SimResult& r, const Summary& sum);
// Writes trace.csv, gctrace.log, summary.json, report.html and the heap profiles (heap-peak,
// heap-end, heap-step-NN-LABEL .pb.gz) into dir (created if missing).
void writeOutputs(const std::string& dir, const Scenario& s, const SimResult& r);
// Writes `content` to path atomically (temporary name + rename).
void writeFileAtomic(const std::string& path, const std::string& content);

}  // namespace gomemsim
