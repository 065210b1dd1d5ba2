// compare: `gomemsim compare`, one scenario run under a grid of knob settings side by side.
//
// Does: parses `--vary KEY=V1,V2,...` axes, expands them into the cartesian grid of
// configurations (first axis slowest) and checks every configuration before anything runs;
// runs the configurations on worker threads (each its own Simulation on its own Scenario copy)
// and collects the results in grid order, so every output is byte-identical whatever the
// thread timing; reduces each run to one table row (peak RES, RES at end, the OOM kill, how
// long RES took to settle after the last drop or that it never did, GC count with the periodic
// and runtime.GC ones, bytes released, pprof heap) and renders the text
// table, compare.csv, the combined trace.csv (a leading `config` column), one gctrace log per
// configuration with an index (gctrace/) and report.html (observe/report.h's compareReportHtml).
// Does not: model anything (engine/ and runtime/ do), parse command-line flags (cli/), or
// choose what a knob means (scenario/'s applySet and applyEnv do; a --vary KEY is exactly
// what --set or --env accepts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {

// One `--vary KEY=V1,V2,...`: the key as the user wrote it and its values, in order.
struct VaryAxis {
  std::string text;  // the whole argument, for messages
  std::string key;
  std::vector<std::string> values;
};

// Parses one --vary argument. Throws ScenarioError (file "--vary") when it is not KEY=V1,...,
// a value is empty or repeated.
VaryAxis parseVary(const std::string& text);

// True when key is a Go environment variable name (upper case, e.g. GOGC, GOMEMLIMIT,
// GOMAXPROCS, GODEBUG): the value then goes through applyEnv, otherwise through applySet.
bool isEnvKey(const std::string& key);

// Sets key=value on s the way --env (upper-case Go names) or --set (anything else) would.
// Throws ScenarioError from applyEnv/applySet.
void applyVary(Scenario& s, const std::string& key, const std::string& value);

// One point of the grid: its label ("scavenger=none,gogc=100", the keys as written) and the
// scenario it runs.
struct GridConfig {
  std::string label;
  Scenario scenario;
};

// The cartesian product of the axes applied on top of base, first axis slowest. Every
// configuration is checked (the overrides and the runtime it would build); a bad one throws
// ScenarioError (file "--vary") naming the --vary argument, the value and the configuration.
// Throws too when two axes have the same key. No axes = one configuration labelled "base".
std::vector<GridConfig> expandGrid(const Scenario& base, const std::vector<VaryAxis>& axes);

// A configuration's label and its result, as compareReportHtml takes them.
using ConfigRun = std::pair<std::string, SimResult>;

// Runs every configuration, at most `jobs` at a time (0 = std::thread::hardware_concurrency()),
// and returns the results in grid order. If runs fail, the first failure in grid order is
// rethrown after every thread has finished. `monitor` (optional) watches every run, from the
// worker threads, so it must be thread-safe; when it stops them, runGrid throws RunInterrupted
// (run_control.h): a grid with a partial run has no table. `finished` (optional) is called, one
// call at a time, with the number of configurations done after each one ends.
std::vector<ConfigRun> runGrid(const std::vector<GridConfig>& configs, unsigned jobs, RunMonitor* monitor = nullptr,
                               const std::function<void(size_t)>& finished = {});

// How long RES took to settle after the last drop.
//
// The reference step is the last step whose label (TraceRow::kind, whatever name: the step has)
// starts with "drop" ("drop:<set>", "drop_all"), or, when the scenario has none, the last
// "free_os_memory". It is located in the trace as the last row carrying such a label; the step
// started at the first row of the run of consecutive rows of that same step (same index and
// label: the sample at or right after the step's start; a drop is instantaneous, so this is the
// post-step sample taken at the drop's own instant). Call that
// row `from`, and the RSS before the step the rss of the row before `from` (the last sample
// before the step ran; `from` itself when it is the first row). Final is the rss of the last
// row. RES "is within 10 %" at a row when |rss - final| * 10 <= final.
//
// In this order:
// - OomKilled: the run ended with an OOM kill; final is then the RSS at the kill and nothing
//   after it can settle.
// - NoDrop: no such step.
// - NeverSettled: `from` is the last row, or the settling row (below) is the last row: the last
//   row is within 10 % of itself by definition, so it proves nothing.
// - NeverReleased: final is not at least 10 % below the RSS before the step
//   (final * 10 > before * 9): RES never came down (a scavenger that never releases, a drop
//   that freed nothing lasting). Without this, such a run would "settle" at once, in 0 s, and
//   read as the best.
// - Settled: the settling row is the first row j >= from such that every row from j to the end
//   is within 10 %; the settle time is time(j) - time(from).
struct SettleTime {
  enum class Kind { NoDrop, Settled, NeverSettled, NeverReleased, OomKilled };
  Kind kind = Kind::NoDrop;
  double seconds = 0;      // Settled only
  double fromTimeS = 0;    // time of row `from` (Settled, NeverSettled and NeverReleased)
  std::string fromStep;    // its label
  Bytes rssBefore;         // the RSS before the step (Settled, NeverSettled and NeverReleased)
};
SettleTime settleAfterDrop(const SimResult& r);

// One row of the side-by-side table.
struct CompareRow {
  std::string label;
  Bytes peakRss;             // highest rss of any sample (the first such sample)
  double peakRssTimeS = 0;
  Bytes endRss;              // rss of the last sample (for an OOM-killed run: at the kill)
  bool oomKilled = false;    // the run ended with the kernel's or the cgroup's OOM kill
  double oomKillTimeS = 0;   // simulated time of the kill (oomKilled only)
  SettleTime settle;
  int64_t numGc = 0, numForcedGc = 0, numPeriodicGc = 0;  // at the last sample
  Bytes releasedBackground, releasedEager, releasedForced;  // the last sample's cumulative counters
  Bytes releasedTotal;       // their sum
  Bytes pprofAtPeakRss;      // pprof_inuse of the peak-rss sample
  Bytes peakPprof;           // highest pprof_inuse of any sample
};
CompareRow compareRow(const std::string& label, const SimResult& r);

// The text the command prints: a title with the scenario name, its about line, the table in
// human units (MiB/GiB, s; "OOM kill" gives the simulated time of the kill, - when none; settle
// is a time, "never", "killed" or -) and a note on those columns.
std::string compareTable(const Scenario& s, const std::vector<CompareRow>& rows);
// compare.csv: the table with raw bytes and seconds, one row per configuration; oom_kill is the
// simulated time of the kill in seconds, empty when none; settle is settled, never,
// oom_killed or no_drop and settle_s is empty unless settled.
std::string compareCsv(const std::vector<CompareRow>& rows);
// trace.csv of every run, one after the other in grid order, with a leading `config` column;
// the other columns and their text are exactly `gomemsim run`'s trace.csv.
std::string combinedTraceCsv(const std::vector<ConfigRun>& runs);
// One gctrace file per configuration: gctrace/<name>.log holds the run's gctrace/scavtrace lines
// exactly as `gomemsim run` writes gctrace.log (no prefix, so gctrace parsers read it), and
// gctrace/index.csv names each file's configuration and what it ran (file,config,go,scavenger,
// madvise,pacer,gc_lines). <name> is the label with every character other than a letter, digit,
// '.', '-' or '_' turned into '-' ("scavenger=none,gogc=100" -> "scavenger-none-gogc-100"),
// cut to 100 characters, and suffixed "~2", "~3", ... in grid order when two labels give the
// same name.
std::vector<std::string> gctraceFileNames(const std::vector<ConfigRun>& runs);
std::string gctraceIndexCsv(const std::vector<ConfigRun>& runs);
// One CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
std::string csvField(const std::string& text);

// Renders trace.csv, compare.csv, report.html and the gctrace/ files, then writes them into dir
// (created if missing), each atomically; nothing is written if rendering fails.
void writeCompareOutputs(const std::string& dir, const Scenario& base, const std::vector<ConfigRun>& runs);

}  // namespace gomemsim
