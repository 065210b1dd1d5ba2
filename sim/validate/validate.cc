// validate.cc: the `gomemsim validate` run and its printed table.
#include "validate/validate.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"
#include "validate/real_go.h"

namespace gomemsim {
namespace fs = std::filesystem;
namespace {

// A private working directory, removed when the run ends however it ends.
class WorkDir {
 public:
  WorkDir() {
    std::string tmpl = (fs::temp_directory_path() / "gomemsim-validate-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw ValidateError(1, "cannot create a temporary directory in " + tmpl);
    path_ = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// gomemsim's side, watched by `monitor`; a stopped simulation ends the validation.
SimResult simulate(const Scenario& s, RunMonitor* monitor) {
  Simulation sim(s);
  sim.setMonitor(monitor);
  SimResult r = sim.run();
  if (r.interruptedBy)
    throw RunInterrupted(r.interruptedBy, "while gomemsim simulated; nothing written");
  return r;
}

Scenario loadWithOverrides(const ValidateOptions& o) {
  Scenario s = loadScenario(o.scenario, o.maxScenarioBytes);
  for (const auto& env : o.env) applyEnv(s, env);
  for (const auto& kv : o.sets) applySet(s, kv);
  if (o.seed) s.seed = *o.seed;
  if (o.limits) checkBudget(s, *o.limits);
  return s;
}

// Planned seconds of the timed steps (run, idle, paced live sets): how long the real run takes
// at least.
double plannedSeconds(const Scenario& s) {
  double t = 0;
  for (const Step& st : s.steps) {
    if (const auto* r = std::get_if<RunStep>(&st.body)) t += toSeconds(r->duration);
    if (const auto* i = std::get_if<IdleStep>(&st.body)) t += toSeconds(i->duration);
    if (const auto* l = std::get_if<LiveSetStep>(&st.body)) t += toSeconds(l->over);
  }
  return t;
}

bool isCpuSeconds(const std::string& metric) { return metric.rfind("cpu_", 0) == 0; }
bool isBytes(const std::string& metric) { return metric != "num_gc" && !isCpuSeconds(metric); }

std::string shown(const std::string& metric, double v) {
  char buf[64];
  if (std::isnan(v)) return "-";
  if (isBytes(metric)) std::snprintf(buf, sizeof buf, "%.1f MiB", v / 1048576.0);
  else if (isCpuSeconds(metric)) std::snprintf(buf, sizeof buf, "%.2f s", v);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string percent(double rel) {
  char buf[32];
  if (std::isnan(rel)) return "-";
  if (std::isinf(rel)) return rel > 0 ? "+inf" : "-inf";
  std::snprintf(buf, sizeof buf, "%+.1f %%", rel * 100);
  return buf;
}

std::string seconds(double s) {
  char buf[32];
  if (std::isnan(s)) return "-";
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

void writeAll(const std::string& dir, const Scenario& s, const SimResult& r, const DriverRun& real,
              const std::string& validate, const std::string& overlay) {
  writeOutputs(dir + "/sim", s, r);
  fs::create_directories(dir + "/real");
  writeFileAtomic(dir + "/real/trace.csv", real.traceCsv);
  writeFileAtomic(dir + "/real/gctrace.log", real.gctrace);
  writeFileAtomic(dir + "/real/steps.csv", real.stepsCsv);
  writeFileAtomic(dir + "/real/driver.log", real.log);
  writeFileAtomic(dir + "/validate.csv", validate);
  writeFileAtomic(dir + "/overlay.csv", overlay);
}

}  // namespace

void printComparison(std::ostream& out, const Comparison& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-14s %-6s %14s %14s %10s\n", "metric", "stat", "gomemsim", "real", "rel.err");
  out << buf;
  std::string last;
  for (const MetricRow& r : c.rows) {
    if (r.stat.rfind("release", 0) == 0) continue;
    const std::string name = r.metric == last ? "" : r.metric;
    last = r.metric;
    if (r.stat == "l2") {
      std::snprintf(buf, sizeof buf, "  %-14s %-6s %14s %14s %10s\n", name.c_str(), "l2", "", "", percent(r.relErr).c_str());
    } else {
      std::snprintf(buf, sizeof buf, "  %-14s %-6s %14s %14s %10s\n", name.c_str(), r.stat.c_str(),
                    shown(r.metric, r.sim).c_str(), shown(r.metric, r.real).c_str(), percent(r.relErr).c_str());
    }
    out << buf;
  }
  bool header = false;
  for (size_t i = 0; i + 1 < c.rows.size(); ++i) {
    const MetricRow& t = c.rows[i];
    const MetricRow& b = c.rows[i + 1];
    if (t.stat.rfind("release_s:", 0) != 0) continue;
    if (!header) {
      out << "  rss release: time from the event until RSS is within 10 % of its value at the end of the\n"
             "  quiet period that follows (bytes released in brackets)\n";
      std::snprintf(buf, sizeof buf, "  %-28s %22s %22s %10s\n", "event", "gomemsim", "real", "rel.err");
      out << buf;
      header = true;
    }
    const std::string ev = t.stat.substr(std::string("release_s:").size());
    const std::string sv = seconds(t.sim) + " (" + shown("rss", b.sim) + ")";
    const std::string rv = seconds(t.real) + " (" + shown("rss", b.real) + ")";
    std::snprintf(buf, sizeof buf, "  %-28s %22s %22s %10s\n", ev.c_str(), sv.c_str(), rv.c_str(), percent(t.relErr).c_str());
    out << buf;
  }
}

int runValidate(const ValidateOptions& o, std::ostream& out, std::ostream& err) {
  try {
    const Scenario s = loadWithOverrides(o);
    const std::vector<Tolerance> tol = parseTolerances(o.tolerances);
    // What no real run can do (the knob table's Refused knobs), before any Go is looked for; a
    // recorded run (--real) cannot have done it either.
    if (const std::vector<std::string> refused = knobsRealGoCannotSet(s); !refused.empty()) {
      std::string msg = s.file + ": the real runtime cannot be told to do what this scenario asks:";
      for (const std::string& r : refused) msg += "\n  " + r;
      throw ValidateError(2, msg + "\n(drop these knobs to validate; gomemsim run still simulates them)");
    }
    char buf[256];
    // The real side: a run recorded before (--real), or the driver on the installed Go, checked
    // for refusals before gomemsim simulates and run after it.
    DriverRun real;
    SimResult r;
    if (!o.realDir.empty()) {
      real = readRecordedRun(o.realDir);
      out << "gomemsim validate: " << s.name << ", against the real run recorded in " << o.realDir << "\n";
      r = simulate(s, o.monitor);
    } else {
      // The toolchain: --go, else an installed one of the scenario's release.
      const std::string version = goVersionText(s.runtime);
      const std::string go = o.go.empty() ? findGoFor(parseGoVersion(version)) : findGo(o.go);
      if (go.empty()) {
        if (!o.go.empty()) err << "gomemsim validate: --go " << o.go << ": not an executable go command\n";
        else
          err << "gomemsim validate: no Go " << version << " toolchain installed (found: " << describeGoToolchains()
              << "); pass --go with one, or --set go=VERSION for one of those\n";
        return 1;
      }
      const std::string driver = buildDriver(go, driverSourceDir(), o.cacheDir.empty() ? defaultCacheDir() : o.cacheDir);
      WorkDir work;
      runDriver(driver, s, work.path(), /*checkOnly=*/true);
      r = simulate(s, o.monitor);
      std::snprintf(buf, sizeof buf, "gomemsim validate: %s, running on the real runtime (%s, at least %.0f s)...\n",
                    s.name.c_str(), go.c_str(), plannedSeconds(s));
      out << buf << std::flush;
      real = runDriver(driver, s, work.path(), /*checkOnly=*/false);
    }

    Trace simTrace = traceFromSim(r), realTrace = traceFromCsv(real.traceCsv, "real/trace.csv");
    stepKindsFromScenario(simTrace, s);
    stepKindsFromScenario(realTrace, s);
    const Comparison c = compareTraces(simTrace, realTrace, o.align);
    const std::string validate = validateCsv(c), overlay = overlayCsv(simTrace, realTrace, c);
    writeAll(o.out, s, r, real, validate, overlay);

    std::snprintf(buf, sizeof buf,
                  "  go %s, GOGC=%s, GOMAXPROCS=%lld, seed %llu; gomemsim %.1f s in %zu samples, real %.1f s in %zu "
                  "samples (aligned by %s)\n",
                  goVersionText(s.runtime).c_str(), s.runtime.gogc < 0 ? "off" : std::to_string(s.runtime.gogc).c_str(),
                  static_cast<long long>(gomaxprocsOf(s)), static_cast<unsigned long long>(s.seed), c.simEnd,
                  simTrace.size(), c.realEnd, realTrace.size(), o.align == AlignMode::Steps ? "step ends" : "time");
    out << buf;
    if (!c.alignNote.empty()) out << "  note: " << c.alignNote << "\n";
    std::istringstream notes(real.log);  // the driver's own notes (e.g. pacing fell behind)
    for (std::string line; std::getline(notes, line);)
      if (line.rfind("note: ", 0) == 0) out << "  real run " << line << "\n";
    printComparison(out, c);
    out << "  wrote " << o.out << "/{validate.csv,overlay.csv,sim/,real/}\n";
    const std::vector<std::string> bad = toleranceViolations(c, tol);
    for (const auto& v : bad) err << "gomemsim validate: tolerance exceeded: " << v << "\n";
    return toleranceExitStatus(bad);
  } catch (const ValidateError& e) {
    std::string msg = e.what();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    err << "gomemsim validate: " << msg << "\n";
    return e.exitStatus();
  }
}

}  // namespace gomemsim
