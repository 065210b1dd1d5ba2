// gomemsim fit LOG --out SCENARIO: a scenario fitted to a service's gctrace log or
// runtime/metrics series (fit/fit.h, fit/metrics_series.h),
// written, then simulated and compared with the log.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "engine/simulation.h"
#include "fit/fit.h"
#include "goversion/goversion.h"
#include "observe/outputs.h"

namespace gomemsim {

int cmdFit(const std::vector<std::string>& args) {
  po::options_description opts = helpOptions("gomemsim fit GCTRACE_LOG|METRICS_CSV [options]");
  std::string out = "fitted.yaml", go, lifetime;
  opts.add_options()("help,h", "show this help")
      ("out,o", po::value<std::string>(&out), "the scenario file to write (default: fitted.yaml)")
      ("go", po::value<std::string>(&go), "the Go version to write (default: 1.19 for a Go 1.18+ log, 1.17 for an older one; gctrace does not print it)")
      ("lifetime", po::value<std::string>(&lifetime),
       "mean lifetime of the short-lived objects (default: estimated from the mark CPU, else 10ms)");
  po::variables_map vm;
  if (parseCommandLine(opts, args, "log", po::value<std::vector<std::string>>(), -1, vm)) return 0;
  if (!vm.count("log") || vm["log"].as<std::vector<std::string>>().size() != 1) {
    std::cerr << "gomemsim fit: expected one gctrace log (GODEBUG=gctrace=1 output, e.g. a service's stderr) or "
                 "runtime/metrics CSV (a time_s column and runtime/metrics names, as metrics.csv)\n";
    return kExitBadInput;
  }
  const std::string path = vm["log"].as<std::vector<std::string>>()[0];
  FitOptions o;
  o.source = path;
  try {
    if (!lifetime.empty()) {
      o.lifetime = parseDuration(lifetime);
      if (o.lifetime->v <= 0) throw std::invalid_argument("--lifetime: expected a duration > 0 such as 10ms");
    }
    if (!go.empty()) {
      (void)goRelease(go);  // a release gomemsim models, or GoVersionError
      o.go = parseGoVersion(go).text();
    }
  } catch (const std::exception& e) {
    std::cerr << "gomemsim fit: " << e.what() << "\n";
    return kExitBadInput;
  }
  FittedLog fitted;
  try {
    fitted = fitGcTraceFile(path, o);
  } catch (const FitError& e) {
    std::cerr << "gomemsim fit: " << e.what() << "\n";
    return kExitBadInput;
  }
  const GcTraceLog& log = fitted.log;
  const Fit& f = fitted.fit;
  for (const std::string& p : log.problems) std::cerr << "gomemsim fit: skipped " << p << "\n";
  // The fitted scenario must read back (it is gomemsim's own YAML); then simulate it.
  const Scenario s = parseScenario(f.yaml, out);
  Simulation sim(s);
  const SimResult r = sim.run();
  std::istringstream fittedTrace(gctraceLog(r));
  const GcTraceLog simulated = readGcTrace(fittedTrace, "fitted");
  writeFileAtomic(out, f.yaml);
  std::cout << "gomemsim fit: " << path << ": " << f.cycles << " GC cycles (" << f.forcedCycles
            << " by runtime.GC()), GOMAXPROCS " << f.gomaxprocs << ", GOGC "
            << (f.gogc < 0 ? std::string("off") : std::to_string(f.gogc)) << (f.gogcEstimated ? "" : " (default)")
            << (f.memoryLimit ? ", GOMEMLIMIT " + std::to_string(f.memoryLimit->v >> 20) + " MiB" : std::string())
            << ", go " << f.go << "; " << f.intervals.size() << " run steps\n"
            << "  short-lived objects live " << static_cast<double>(f.lifetime.v) / 1e6 << " ms"
            << (o.lifetime ? " (given)" : f.lifetimeEstimated ? " (from the mark CPU)" : " (the default)")
            << "; " << std::llround(f.heldPointerShare * 100) << " % of the bytes pointerful\n"
            << "  the fitted scenario simulated against the log:\n"
            << "  metric                              log      fitted   rel.err\n";
  for (const FitCheck& c : compareGcTraces(log, simulated)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-30s %10.1f %11.1f %+8.1f %%\n", c.metric.c_str(), c.real, c.fitted, c.relErr() * 100);
    std::cout << buf;
  }
  std::cout << "  wrote " << out << "\n";
  return 0;
}

}  // namespace gomemsim
