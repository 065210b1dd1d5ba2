// metrics_series: a runtime/metrics time series - a CSV whose header names a time column
// (time_s, in seconds) and runtime/metrics samples as Go spells them (/gc/heap/goal:bytes, ...),
// as gomemsim's metrics.csv writes it or a service's exporter can - read into the GC cycles that
// `gomemsim fit` fits (fit.h), so that a dashboard's series fits as a gctrace log does.
//
// What a sample gives (the Go release that added the metric, runtime/metrics/description.go):
//   /gc/cycles/total:gc-cycles (1.16)    cycles completed: a sample where it grew ends cycles
//   /gc/cycles/forced:gc-cycles (1.16)   of which runtime.GC()
//   /gc/heap/allocs:bytes (1.17)         cumulative allocation: what an interval allocated
//   /gc/heap/live:bytes (1.21)           the heap marked by the last cycle; before 1.21,
//                                        /memory/classes/heap/objects:bytes stands for it (an
//                                        overestimate by what was allocated since that mark)
//   /gc/heap/goal:bytes (1.16)           the goal of the cycle that ends next
//   /gc/gogc:percent, /gc/gomemlimit:bytes (1.21), /sched/gomaxprocs:threads (1.19): settings,
//                                        taken as they are (no estimate needed)
//   /cpu/classes/gc/mark/{assist,dedicated,idle}:cpu-seconds (1.20): each cycle's mark CPU
// A cycle's figures are those of the first sample after it. When more than one cycle ended
// between two samples they share the interval's allocation and mark CPU evenly, and the time
// between the samples, and their marked heaps step from the last cycle's to the later sample's.
// A mark's length is its dedicated CPU over a quarter of GOMAXPROCS (the background workers'
// share, mgcpacer.go gcBackgroundUtilization). The series has no stacks or globals, and no
// heap at the trigger (taken as the heap at the mark's end). An automatic cycle ends about when
// the heap, grown from the last marked heap, reaches the goal in effect: so much allocation
// after the last cycle, at the moment the allocation counter passed it between the samples. One
// the allocation could not have started, two minutes or more after the last, is sysmon's.
// A row that cannot be read (a cell that is not a number, too few cells) is reported with its
// line number and skipped; a file without the required columns is an error.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include "fit/gctrace.h"

namespace gomemsim {

struct MetricsSeries {
  GcTraceLog log;  // the cycles, as a gctrace log would give them (era Go118, no stacks)
  std::optional<int64_t> gogc;         // /gc/gogc:percent; -1 = off
  std::optional<int64_t> memoryLimit;  // /gc/gomemlimit:bytes, when below math.MaxInt64
  int samples = 0;
};

class MetricsSeriesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether `firstLine` is the header of such a series: a time_s column and a /gc/ name.
bool looksLikeMetricsSeries(const std::string& firstLine);

// Throws MetricsSeriesError (naming `name`) when a required column is missing.
MetricsSeries readMetricsSeries(std::istream& in, const std::string& name);

}  // namespace gomemsim
