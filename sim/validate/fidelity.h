// fidelity: gomemsim's trace against a real Go run's trace of the same scenario, metric by metric.
//
// Models: traces as time series (trace.csv columns, empty cells as NaN); the alignment of the
// real trace onto gomemsim's timeline; per metric the peak, the final value, the time-weighted
// mean and the relative L2 error of the aligned series (computed with Eigen); for RSS the time
// it takes to release memory after a drop, debug.FreeOSMemory or a large fall; and tolerance
// checks (--tolerance METRIC[.STAT]=REL).
// Does not model: why the two differ (that is what a user reads the numbers for), nor anything
// about running Go (real_go.h).
//
// Definitions (each function below repeats the one it implements):
//   - A trace is piecewise linear between its samples. Samples at the same instant are a jump;
//     the value at that instant is the last of them (right-continuous).
//   - relative error = (gomemsim - real) / |real|; 0 when both are 0, +-inf when only real is.
#pragma once

#include <Eigen/Dense>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/simulation.h"

namespace gomemsim {

// An error with the exit status it should produce (2 bad input, 1 internal).
class ValidateError : public std::runtime_error {
 public:
  ValidateError(int exitStatus, const std::string& msg) : std::runtime_error(msg), exit_(exitStatus) {}
  int exitStatus() const { return exit_; }

 private:
  int exit_;
};

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Trace {
  std::vector<double> time;        // time_s
  std::vector<std::string> step;   // step (a step's name, if it has one)
  std::vector<std::string> kind;   // the step's label ("run", "drop:cache"): step unless
                                   // stepKindsFromScenario said what a named step is
  std::vector<std::string> names;  // every other column, in file order
  std::map<std::string, std::vector<double>> cols;
  size_t size() const { return time.size(); }
  // Row i's kind (its step when the trace was built without kinds).
  const std::string& kindAt(size_t i) const { return i < kind.size() ? kind[i] : step[i]; }
  // nullptr when the column is missing or has no value at all.
  const std::vector<double>* column(const std::string& name) const;
};

// Reads a trace.csv (gomemsim's or the driver's). Throws ValidateError(1) naming path:line.
// heap_goal values of kNoHeapGoalAbove or more (Go's "no goal", ~2^63 B) read as 0, gomemsim's
// way of writing no goal.
inline constexpr double kNoHeapGoalAbove = 4611686018427387904.0;  // 2^62
Trace traceFromCsv(const std::string& text, const std::string& path);
Trace traceFromSim(const SimResult& r);
// Rows whose `step` is the name of one of s's steps get that step's label as their kind (the
// scenario reader gives a name to steps of one label only, and no step a name that another
// kind's label is), so the release events and quiet periods below see what kind of step it is.
void stepKindsFromScenario(Trace& t, const Scenario& s);

// Linear interpolation of (t, v) at `at`; right-continuous at repeated times, constant beyond
// the ends; NaN samples are skipped. NaN if v has no value.
double interpolateAt(const std::vector<double>& t, const std::vector<double>& v, double at);

struct SeriesStats {
  double peak = kNaN;   // largest sample
  double final = kNaN;  // last sample
  double mean = kNaN;   // integral of the piecewise-linear series over [t_first, t_last] / span
                        // (the first value when the span is 0)
};
SeriesStats seriesStats(const std::vector<double>& t, const std::vector<double>& v);

double relativeError(double sim, double real);
// ||sim - real||_2 / ||real||_2 (0 when both are zero vectors, inf when only real is).
double relativeL2(const Eigen::VectorXd& sim, const Eigen::VectorXd& real);

// How real times are put on gomemsim's timeline.
enum class AlignMode {
  Time,   // as recorded: both start at the program's start
  Steps,  // piecewise linear between step ends (see alignRealTimes)
};

// The real trace's times mapped onto the simulated timeline. With Steps, each maximal run of
// rows with the same step kind (Trace::kind) is one segment in both traces (a run ends at its last row,
// which is the sample taken right after the step); the real segment [R(j-1), R(j)] is mapped
// linearly onto the simulated [S(j-1), S(j)] (R(0) = S(0) = 0), and times after the last end
// are shifted by S(last) - R(last). If the two traces do not have the same sequence of runs it
// falls back to Time and says why in *note.
std::vector<double> alignRealTimes(const Trace& sim, const Trace& real, AlignMode mode, std::string* note);

// One release of RSS. See releaseEvents for the definitions.
struct ReleaseEvent {
  std::string label;     // the step's kind (its label, e.g. drop:cache, whatever its name), or "fall"
  int ordinal = 1;       // 1-based among events with the same label
  double time = 0;       // t_e
  double quietEnd = 0;   // t_q
  double before = 0;     // rss just before the event
  double target = 0;     // rss at t_q
  double releaseS = 0;   // time from t_e until rss is within 10 % of target
};

// Release events of a trace's rss column:
//   - step events: the first row of each run of rows of one step (`step`) whose kind is drop:*, drop_all or
//     free_os_memory; t_e is that row's time (for an instantaneous drop the step's instant;
//     for free_os_memory when the call returned in gomemsim, the first sample during or after
//     the call in a real trace). `before` is rss at the row preceding it.
//   - fall events: outside every earlier event's window [t_e, t_q], a row i whose rss is below
//     0.75 x the highest rss of the rows in [t_i - 5 s, t_i); t_e is the time of that highest
//     row (the last of equal highs, where the fall begins) and `before` its rss.
// The quiet period after an event runs to t_q: the time of the last row before the next event
// or the next row of an allocating step (run, live_set:*, append:*, goroutines:*), or of the
// last row of the trace. target = rss at t_q. releaseS = min{t_k - t_e : row k with
// t_e <= t_k <= t_q and |rss_k - target| <= 0.1 x target}.
std::vector<ReleaseEvent> releaseEvents(const Trace& t);

struct MetricRow {
  std::string metric, stat;  // stat: peak, final, mean, l2, release_s:<label>#<n>
  double sim = kNaN, real = kNaN, relErr = kNaN;
};

struct Comparison {
  std::vector<MetricRow> rows;
  std::vector<double> realTimesAligned;  // alignRealTimes of the real trace
  std::string alignNote;
  double simEnd = 0, realEnd = 0;
};

// The metrics compared: rss, heap_alloc, heap_inuse, heap_released, heap_goal, num_gc, pprof_inuse,
// and the CPU classes cpu_user_s, cpu_gc_s, cpu_idle_s (cumulative seconds) where both traces have
// them (Go 1.20+).
const std::vector<std::string>& comparedMetrics();

// Peak, final and mean per metric (each trace on its own timeline), the aligned relative L2
// error on gomemsim's sample times up to the earlier end of the two, and rss release times
// (step events paired in order, fall events paired with the nearest one within 10 s after
// alignment).
Comparison compareTraces(const Trace& sim, const Trace& real, AlignMode mode);

// --tolerance METRIC[.STAT]=REL,...: METRIC alone checks peak, final and mean; STAT may be
// peak, final, mean, l2 or release (every release_s row).
struct Tolerance {
  std::string metric, stat;  // stat empty = peak, final and mean
  double rel = 0;
};
// Throws ValidateError(2) naming the expected form.
std::vector<Tolerance> parseTolerances(const std::string& spec);
// One message per row whose |rel_err| exceeds its tolerance (NaN rows are not checked).
std::vector<std::string> toleranceViolations(const Comparison& c, const std::vector<Tolerance>& tol);
// 3 when any tolerance is exceeded, else 0.
int toleranceExitStatus(const std::vector<std::string>& violations);

// validate.csv: metric,stat,sim,real,rel_err (one row per MetricRow).
std::string validateCsv(const Comparison& c);
// overlay.csv: gomemsim's sample times, the real time mapped there, the step, then
// sim_<col>,real_<col> for every numeric column both traces have (real interpolated).
std::string overlayCsv(const Trace& sim, const Trace& real, const Comparison& c);

}  // namespace gomemsim
