// gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] [--out DIR] [--env ...]
//   [--set key=value]... [--seed N] [--jobs N] [--quiet]
// Runs the scenario once per configuration of the grid (compare/compare.h), prints the
// side-by-side table and writes trace.csv, compare.csv, report.html and gctrace/ (one
// gctrace/<config>.log per configuration and gctrace/index.csv naming them) to --out.
// Every configuration is checked before anything runs; nothing is written unless all ran
// (Ctrl-C or SIGTERM: exit 128 + the signal, nothing written).
#include <boost/program_options.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "compare/compare.h"
#include "engine/run_control.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace po = boost::program_options;

namespace gomemsim {
namespace {

unsigned cpuCount() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

int cmdCompare(const std::vector<std::string>& args) {
  po::options_description opts = helpOptions(
      "gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] [options]\n"
      "       gomemsim compare --fit GCTRACE_LOG --vary KEY=V1,V2,... [options]");
  std::string out = "out/compare";
  std::vector<std::string> varies, sets;
  std::vector<std::string> env;
  unsigned jobs = cpuCount();
  opts.add_options()("help,h", "show this help")
      ("vary", po::value<std::vector<std::string>>(&varies)->composing(),
       "one axis of the grid (repeatable; the first varies slowest): KEY is anything --set accepts "
       "(gogc, scavenger, madvise, go, gomaxprocs, memory_limit, runtime.gogc, seed, ...) or a Go "
       "environment name (GOGC, GOMEMLIMIT, GOMAXPROCS, GODEBUG), e.g. gogc=50,100,200")
      ("out,o", po::value<std::string>(&out), "output directory (default: out/compare)")
      ("env,e", po::value<std::vector<std::string>>(&env)->composing(),
       "Go environment for every configuration, e.g. GOGC=off,GOMEMLIMIT=1GiB (repeatable)")
      ("set,s", po::value<std::vector<std::string>>(&sets)->composing(), "override a scenario field for every configuration (repeatable)")
      ("seed", po::value<uint64_t>(), "random seed (overrides the scenario's)")
      ("jobs,j", po::value<unsigned>(&jobs),
       ("configurations run at a time (default and maximum: the number of CPUs, " + std::to_string(cpuCount()) + ")").c_str())
      ("quiet,q", "do not print the table");
  addFitOption(opts);
  BudgetFlags budget;
  addBudgetOptions(opts, budget);
  po::variables_map vm;
  if (const auto done = parseScenarioCommand("compare", opts, args, vm)) return *done;
  if (varies.empty()) {
    std::cerr << "gomemsim compare: give at least one --vary KEY=V1,V2,... (e.g. --vary gogc=50,100)\n";
    return kExitBadInput;
  }
  if (jobs == 0) {
    std::cerr << "gomemsim compare: --jobs: expected a whole number >= 1\n";
    return kExitBadInput;
  }
  std::string fittedYaml;
  const Scenario s = loadWithOverrides(vm, env, sets, maxScenarioBytes(budget), &fittedYaml);
  std::vector<VaryAxis> axes;
  for (const auto& v : varies) axes.push_back(parseVary(v));
  const std::vector<GridConfig> configs = expandGrid(s, axes);
  const unsigned atOnce = std::min({jobs, cpuCount(), static_cast<unsigned>(configs.size())});
  const RunLimits limits = runLimits(budget, static_cast<int>(atOnce));
  for (const GridConfig& c : configs) checkBudget(c.scenario, limits);  // each may differ (--vary)
  throwIfStopRequested();
  // Ctrl-C and SIGTERM stop every run at its next step, and nothing is written (a table with a
  // partial column would compare unlike things); at a terminal, without --quiet, a line counts
  // the configurations done.
  StopOnSignal stop;
  const bool showProgress = !vm.count("quiet") && ::isatty(STDERR_FILENO);
  const double start = wallSeconds();
  std::vector<ConfigRun> runs;
  {
    struct Line {  // erased when runGrid ends, also by an exception, before anything else prints
      bool printed = false;
      ~Line() {
        if (printed) std::cerr << "\r\033[K" << std::flush;
      }
    } line;
    const auto finished = [&](size_t done) {
      if (!showProgress || wallSeconds() - start < kProgressAfterS) return;
      line.printed = true;
      std::cerr << "\r\033[Kcompare: " << done << " of " << configs.size() << " configurations run" << std::flush;
    };
    runs = runGrid(configs, atOnce, &stop, finished);
  }
  const bool replacing = std::filesystem::exists(out + "/compare.csv");  // an earlier compare's outputs
  writeCompareOutputs(out, s, runs);
  if (!fittedYaml.empty()) writeFileAtomic(out + "/fitted.yaml", fittedYaml);
  if (!vm.count("quiet")) {
    std::vector<CompareRow> rows;
    for (const auto& [label, r] : runs) rows.push_back(compareRow(label, r));
    std::cout << compareTable(s, rows) << "  wrote " << out << "/trace.csv, " << out << "/compare.csv, " << out
              << "/report.html, " << out << "/gctrace/*.log (index: " << out << "/gctrace/index.csv)"
              << (fittedYaml.empty() ? "" : ", " + out + "/fitted.yaml")
              << (replacing ? ", replacing an earlier compare's outputs there" : "") << "\n";
  }
  return 0;
}

}  // namespace gomemsim
