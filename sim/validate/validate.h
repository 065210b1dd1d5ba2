// validate: `gomemsim validate` - the same scenario on gomemsim and on the real Go runtime,
// compared metric by metric.
//
// Models: the whole run: load the scenario with the same overrides as `run`, refuse the knobs
// the knob table marks as real Go having no setting for (knobsRealGoCannotSet: gomemsim's
// scavenger parameters, GOEXPERIMENT, the machine's memory, the baseline RSS; exit 2, before any
// Go is looked for, with --real too), check that the real-Go driver can reproduce the rest
// (driver/ refuses the other policies, cgroups, other programs..., exit 2), simulate it, build and run the driver (real_go.h), align and compare the two traces
// (fidelity.h), print the table and write the outputs. Fidelity is measured here, never asserted.
// Does not model: the runtime (engine/) or the real program (driver/).
//
// Outputs (all rendered first, then each written to a temporary name and renamed, so a failed
// run writes nothing): DIR/sim/{trace.csv,gctrace.log,summary.json}, DIR/real/{trace.csv,
// gctrace.log,steps.csv,driver.log}, DIR/validate.csv (metric,stat,sim,real,rel_err) and
// DIR/overlay.csv (gomemsim's sample times with both traces side by side).
// With --real DIR the real side is a run recorded before (readRecordedRun) and no Go runs: the
// caller vouches that it was recorded from the same scenario and overrides.
// Exit status: 0 ok, 2 bad input or a scenario the driver refuses, 3 a --tolerance exceeded,
// 1 internal error (no go toolchain, a failed build or run).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/budget.h"
#include "engine/run_control.h"
#include "scenario/scenario.h"
#include "validate/fidelity.h"

namespace gomemsim {

struct ValidateOptions {
  std::string scenario;            // path of the YAML file
  std::vector<std::string> env;    // every --env, in order
  std::vector<std::string> sets;   // --set key=value
  std::optional<uint64_t> seed;    // --seed
  std::string go;                  // --go PATH (empty: search)
  std::string out = "out";         // --out DIR
  std::string tolerances;          // --tolerance METRIC[.STAT]=REL,...
  std::string cacheDir;            // where the driver is built (empty: defaultCacheDir())
  std::string realDir;             // --real DIR: compare with a run recorded there, run no Go
  AlignMode align = AlignMode::Steps;
  int64_t maxScenarioBytes = kMaxScenarioFileBytes;  // --max-scenario-size
  std::optional<RunLimits> limits;  // the run budget (engine/budget.h), checked before anything runs
  RunMonitor* monitor = nullptr;    // watches the simulation (run_control.h); not owned
};

// Runs the whole validation; returns the exit status. Messages for exit statuses 1 and 2 go to
// err; ScenarioError (bad scenario or override) propagates to the caller (exit 2), and so does
// RunInterrupted when Ctrl-C or SIGTERM stops the simulation or the real-Go program (the
// program is killed and nothing is written).
int runValidate(const ValidateOptions& o, std::ostream& out, std::ostream& err);

// The table `gomemsim validate` prints.
void printComparison(std::ostream& out, const Comparison& c);

}  // namespace gomemsim
