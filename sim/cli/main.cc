// gomemsim: the command-line front end (Boost.Program_options).
//   gomemsim run SCENARIO [--env ...] [--set key=value]... [--out DIR] [--seed N]
//   gomemsim sizeclass SIZE
//   gomemsim fit GCTRACE_LOG|METRICS_CSV [--out SCENARIO] [--go V] [--lifetime D]
//   gomemsim validate SCENARIO [--go PATH] [--out DIR] [--env ...] [--set k=v]... [--tolerance M=REL,...]
// Exit status: 0 success, 2 bad scenario or flag (file:line:column and what was expected) or a
// run refused by its budget (engine/budget.h: --max-memory, --max-time, --max-scenario-size),
// 1 internal error, 128 + the signal when Ctrl-C or SIGTERM stopped it (run_control.h: run writes
// what it simulated so far, marked partial; compare and validate write nothing). Nothing is
// written unless the scenario and flags are valid.
#include <boost/program_options.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "engine/run_control.h"
#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"
#include "sizeclass/span_layout.h"
#include "validate/real_go.h"
#include "validate/validate.h"

namespace po = boost::program_options;
using namespace gomemsim;

namespace {

void usage(std::ostream& o) {
  o << "usage: gomemsim <command> [options]\n\n"
       "commands:\n"
       "  run SCENARIO      simulate a scenario file; prints a summary, writes\n"
       "                    trace.csv, gctrace.log, summary.json, report.html,\n"
       "                    metrics.csv (Go 1.16+) and memstats.jsonl to --out\n"
       "  compare SCENARIO  run every --vary KEY=V1,V2,... combination; prints one table\n"
       "                    side by side\n"
       "  fit LOG           fit a scenario to a GODEBUG=gctrace=1 log or a runtime/\n"
       "                    metrics CSV series; writes it\n"
       "                    (--out), prints how closely it reproduces the log;\n"
       "                    run and compare take --fit LOG in place of SCENARIO\n"
       "  sizeclass SIZE    size class, span size, objects per span and waste for an\n"
       "                    object size\n"
       "  validate SCENARIO run the scenario on gomemsim and on the real Go runtime;\n"
       "                    prints simulated vs real per metric with the relative error\n\n"
       "`gomemsim <command> --help` describes a command's options.\n";
}

int cmdRun(const std::vector<std::string>& args) {
  po::options_description opts = helpOptions("gomemsim run SCENARIO [options]\n       gomemsim run --fit GCTRACE_LOG [options]");
  std::string out = "out";
  std::vector<std::string> sets;
  std::vector<std::string> env;
  opts.add_options()("help,h", "show this help")
      ("out,o", po::value<std::string>(&out), "output directory (default: out)")
      ("env,e", po::value<std::vector<std::string>>(&env)->composing(),
       "Go environment, e.g. GOGC=off,GOMEMLIMIT=1GiB,GOMAXPROCS=4,GODEBUG=madvdontneed=0 (repeatable)")
      ("set,s", po::value<std::vector<std::string>>(&sets)->composing(), "override a scenario field, e.g. runtime.gogc=50 (repeatable)")
      ("seed", po::value<uint64_t>(), "random seed (overrides the scenario's)")
      ("quiet,q", "do not print the summary");
  addFitOption(opts);
  BudgetFlags budget;
  addBudgetOptions(opts, budget);
  po::variables_map vm;
  if (const auto done = parseScenarioCommand("run", opts, args, vm)) return *done;
  const RunLimits limits = runLimits(budget, 1);
  std::string fittedYaml;
  const Scenario s = loadWithOverrides(vm, env, sets, maxScenarioBytes(budget), &fittedYaml);
  checkBudget(s, limits);
  throwIfStopRequested();
  Simulation sim(s);
  // The progress line only at a terminal and without --quiet; Ctrl-C and SIGTERM stop the run
  // at its next step either way, and what it did so far is written, marked partial.
  const bool showProgress = !vm.count("quiet") && ::isatty(STDERR_FILENO);
  ProgressLine line(std::cerr, sim.plannedSeconds(), wallSeconds);
  StopOnSignal stopOnly;
  sim.setMonitor(showProgress ? static_cast<RunMonitor*>(&line) : &stopOnly);
  const SimResult r = sim.run();
  line.finish();
  const bool replacing = std::filesystem::exists(out + "/summary.json");  // an earlier run's outputs
  writeOutputs(out, s, r);
  if (!fittedYaml.empty()) writeFileAtomic(out + "/fitted.yaml", fittedYaml);
  if (!vm.count("quiet")) {
    printSummary(std::cout, s, r, summarize(r));
    std::cout << "  wrote " << out << "/trace.csv, " << out << "/gctrace.log, " << out << "/summary.json, " << out << "/report.html, "
              << (r.release->metricsSet != RuntimeMetricsSet::None ? out + "/metrics.csv, " : std::string()) << out << "/memstats.jsonl, "
              << out << "/heap-{peak,end,step-NN-LABEL}.pb.gz (go tool pprof)"
              << (fittedYaml.empty() ? "" : ", " + out + "/fitted.yaml") << (r.interruptedBy ? " (partial)" : "")
              << (replacing ? ", replacing an earlier run's outputs there" : "") << "\n";
  }
  if (r.interruptedBy) {
    const double at = r.rows.empty() ? 0.0 : r.rows.back().mem.timeS;
    std::cerr << "gomemsim run: stopped by " << signalName(r.interruptedBy) << " at " << humanSeconds(at) << " of "
              << humanSeconds(r.plannedSeconds) << " simulated; the files in " << out
              << " are complete and marked partial (summary.json \"partial\": true)\n";
    return 128 + r.interruptedBy;
  }
  return 0;
}

int cmdSizeclass(const std::vector<std::string>& args) {
  po::options_description opts = helpOptions("gomemsim sizeclass SIZE [options]");
  std::string go(kNewestGo), goexperiment;
  opts.add_options()("help,h", "show this help")
      ("go", po::value<std::string>(&go), "Go version, 1.11 to 1.27 (default: the newest modelled)")
      ("goexperiment", po::value<std::string>(&goexperiment), "GOEXPERIMENT, e.g. nogreenteagc (Go 1.26+) or greenteagc (1.25)")
      ("pointers", "the object contains pointers (no tiny allocator)");
  po::variables_map vm;
  if (parseCommandLine(opts, args, "size", po::value<std::string>(), 1, vm)) return 0;
  if (!vm.count("size")) {
    std::cerr << "gomemsim sizeclass: missing SIZE (e.g. 100B, 33KiB)\n";
    return kExitBadInput;
  }
  Bytes size;
  try {
    size = parseBytes(vm["size"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    std::cerr << "gomemsim sizeclass: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (size.v <= 0) {
    std::cerr << "gomemsim sizeclass: SIZE must be at least 1 byte\n";
    return kExitBadInput;
  }
  const GoRelease* release = nullptr;
  bool greenTea = false;
  try {
    release = &goRelease(go);
    greenTea = greenTeaFor(*release, goexperiment);
  } catch (const GoVersionError& e) {
    std::cerr << "gomemsim sizeclass: " << e.what() << "\n";
    return kExitBadInput;
  }
  const SpanLayout layout = SpanLayout::forRelease(*release, greenTea);
  const bool pointers = vm.count("pointers") > 0;
  std::cout << "size " << size.v << " B" << (pointers ? " with pointers" : "") << " (go " << parseGoVersion(go).text()
            << (greenTea ? ", Green Tea GC" : "") << ")\n";
  if (layout.isLarge(size, pointers)) {
    const Pages np = pagesFor(size);
    std::cout << "  large object: its own span of " << np.v << " pages (" << toBytes(np).v << " B), waste "
              << toBytes(np).v - size.v << " B\n";
    return 0;
  }
  const bool tiny = isTiny(size, pointers);
  if (tiny) {
    std::cout << "  tiny allocator: packed into a 16 B block (size class 2) with other pointer-free objects < 16 B\n";
  }
  const int c = tiny ? kTinySizeClass : layout.classFor(size, pointers);
  const SizeClass& sc = layout.classes().cls(c);
  const bool noscan = !pointers;
  const int64_t nelems = layout.nelems(c, noscan);
  const int64_t header = layout.headerBytes(size, pointers);
  const int64_t reserve = layout.tailReserve(c, noscan);
  const int64_t spanBytes = sc.npages * kPageSize;
  std::cout << "  class " << c << ": " << sc.size << " B per object, span " << spanBytes << " B (" << sc.npages
            << " pages), " << nelems << " objects per span\n";
  if (header > 0) std::cout << "  malloc header: " << header << " B before the object (Go 1.22+ pointerful objects > 512 B)\n";
  if (reserve > 0)
    std::cout << "  in-span metadata: " << reserve << " B at the span's end ("
              << (noscan ? "" : "pointer bits") << (noscan || !greenTea || sc.size < 16 ? "" : " and ")
              << (greenTea && sc.size >= 16 ? "Green Tea inline mark bits" : "") << ")\n";
  std::cout << "  waste: " << (tiny ? 0 : sc.size - size.v - header) << " B rounding per object"
            << (header > 0 ? " (header excluded)" : "") << ", " << spanBytes - nelems * sc.size - reserve
            << " B tail per span\n";
  return 0;
}

int cmdValidate(const std::vector<std::string>& args) {
  po::options_description opts = helpOptions("gomemsim validate SCENARIO [options]");
  ValidateOptions o;
  std::string align = "steps";
  opts.add_options()("help,h", "show this help")
      ("go", po::value<std::string>(&o.go),
       "the go command to build and run the real-Go driver with (default: an installed toolchain of the scenario's Go "
       "release; see --toolchains)")
      ("toolchains", "list the Go toolchains installed here (version and go command), then exit")
      ("out,o", po::value<std::string>(&o.out), "output directory (default: out): sim/, real/, validate.csv, overlay.csv")
      ("env,e", po::value<std::vector<std::string>>(&o.env)->composing(),
       "Go environment, e.g. GOGC=off,GOMEMLIMIT=1GiB,GOMAXPROCS=4 (repeatable)")
      ("set,s", po::value<std::vector<std::string>>(&o.sets)->composing(), "override a scenario field (repeatable)")
      ("seed", po::value<uint64_t>(), "random seed (overrides the scenario's)")
      ("tolerance,t", po::value<std::string>(&o.tolerances),
       "fail with exit status 3 when a relative error exceeds its tolerance: METRIC[.STAT]=REL,... "
       "e.g. rss=0.2,heap_alloc.peak=0.1 (STAT: peak, final, mean, l2, release)")
      ("align", po::value<std::string>(&align), "how the real trace is put on gomemsim's timeline: steps (default) or time")
      ("cache", po::value<std::string>(&o.cacheDir), "where the built driver is cached (default ~/.cache/gomemsim)")
      ("real", po::value<std::string>(&o.realDir),
       "compare with a real run recorded before instead of running Go: DIR with the driver's trace.csv, steps.csv "
       "and gctrace.log (an earlier validate's real/, or tests/fidelity/<id>/run-<k>), recorded from the same "
       "scenario and overrides");
  BudgetFlags budget;
  addBudgetOptions(opts, budget);
  if (std::find(args.begin(), args.end(), "--toolchains") != args.end()) {
    for (const GoToolchain& t : installedGoToolchains()) std::cout << t.version << " " << t.go << "\n";
    return 0;
  }
  po::variables_map vm;
  if (const auto done = parseScenarioCommand("validate", opts, args, vm)) return *done;
  if (align != "steps" && align != "time") {
    std::cerr << "gomemsim validate: --align: expected steps or time, got '" << align << "'\n";
    return kExitBadInput;
  }
  o.scenario = vm["scenario"].as<std::string>();
  o.limits = runLimits(budget, 1);
  o.maxScenarioBytes = maxScenarioBytes(budget);
  o.align = align == "time" ? AlignMode::Time : AlignMode::Steps;
  if (vm.count("seed")) o.seed = vm["seed"].as<uint64_t>();
  // Ctrl-C and SIGTERM stop the simulation or the real program; validate then writes nothing.
  StopOnSignal stop;
  o.monitor = &stop;
  return runValidate(o, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return kExitBadInput;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  installStopHandlers();
  try {
    if (cmd == "run") return cmdRun(args);
    if (cmd == "sizeclass") return cmdSizeclass(args);
    if (cmd == "validate") return cmdValidate(args);
    if (cmd == "compare") return cmdCompare(args);
    if (cmd == "fit") return cmdFit(args);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      usage(std::cout);
      return 0;
    }
    std::cerr << "gomemsim: unknown command '" << cmd << "'\n";
    usage(std::cerr);
    return kExitBadInput;
  } catch (const ScenarioError& e) {
    std::cerr << "gomemsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const RunInterrupted& e) {
    std::cerr << "gomemsim " << cmd << ": " << e.what() << "\n";
    return 128 + e.signal();
  } catch (const RunRefused& e) {
    std::cerr << "gomemsim " << cmd << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const po::error& e) {
    std::cerr << "gomemsim " << cmd << ": " << e.what() << " (see gomemsim " << cmd << " --help)\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "gomemsim: internal error: " << e.what() << "\n";
    return 1;
  }
}
