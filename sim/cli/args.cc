// Argument handling shared by the commands that take a SCENARIO file (run, compare, validate),
// and the help text of every command.
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "fit/fit.h"

namespace gomemsim {

bool parseCommandLine(const po::options_description& opts, const std::vector<std::string>& args, const char* positional,
                      const po::value_semantic* value, int maxCount, po::variables_map& vm) {
  po::options_description hidden;
  hidden.add_options()(positional, value);
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add(positional, maxCount);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (!vm.count("help")) return false;
  std::cout << helpText(opts);
  return true;
}

std::optional<int> parseScenarioCommand(const std::string& command, const po::options_description& opts,
                                        const std::vector<std::string>& args, po::variables_map& vm) {
  if (parseCommandLine(opts, args, "scenario", po::value<std::string>(), 1, vm)) return 0;
  if (vm.count("fit") && vm.count("scenario")) {
    std::cerr << "gomemsim " << command << ": give a SCENARIO file or --fit LOG, not both\n";
    return kExitBadInput;
  }
  if (!vm.count("scenario") && !vm.count("fit")) {
    std::cerr << "gomemsim " << command << ": missing SCENARIO file\n" << helpText(opts);
    return kExitBadInput;
  }
  return std::nullopt;
}

namespace {
// Boost lays options out at this width: wide enough that it never wraps a description itself.
constexpr unsigned kHelpLayoutColumns = 4096;

// The words of `text` (split at blanks), wrapped into lines of at most `room` characters.
std::vector<std::string> wrapWords(const std::string& text, size_t room) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string word, line;
  while (in >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}
}  // namespace

po::options_description helpOptions(const std::string& caption) {
  return po::options_description(caption, kHelpLayoutColumns, kHelpLayoutColumns / 2);
}

size_t helpWidth() {
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && n >= 40 && n <= 1000) return static_cast<size_t>(n);
  }
  return 80;
}

std::string wrapHelpLines(const std::string& rendered, size_t column, size_t width) {
  std::istringstream in(rendered);
  std::string out, line;
  while (std::getline(in, line)) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (line.size() <= width) {
      out += line + "\n";
      continue;
    }
    const size_t lead = line.find_first_not_of(' ');
    const bool description = lead > 0 && column < line.size() && column > lead && line[column - 1] == ' ';
    const size_t indent = description ? column : lead;
    // Continuations go under the description, or 8 columns in when that leaves too little room.
    const size_t cont = indent + 20 > width ? std::min<size_t>(indent, 8) : indent;
    const std::vector<std::string> parts = wrapWords(line.substr(indent), width - cont);
    out += line.substr(0, indent) + parts[0] + "\n";
    for (size_t i = 1; i < parts.size(); ++i) out += std::string(cont, ' ') + parts[i] + "\n";
  }
  return out;
}

std::string helpText(const po::options_description& opts, size_t width) {
  std::ostringstream rendered;
  rendered << opts;
  return wrapHelpLines(rendered.str(), opts.get_option_column_width(), width);
}

void addBudgetOptions(po::options_description& opts, BudgetFlags& f) {
  opts.add_options()
      ("max-memory", po::value<std::string>(&f.maxMemory),
       "refuse a run estimated to need more memory than SIZE (default: this machine's available memory)")
      ("max-time", po::value<std::string>(&f.maxTime), "refuse a run estimated to take longer than DURATION (default: 24h)")
      ("max-scenario-size", po::value<std::string>(&f.maxScenarioSize), "refuse scenario files larger than SIZE (default: 4MiB)");
}

namespace {
double flagBytes(const std::string& flag, const std::string& v) {
  try {
    const Bytes b = parseBytes(v);
    if (b.v > 0) return static_cast<double>(b.v);
  } catch (const std::exception&) {
  }
  throw po::error("--" + flag + ": expected a size such as 8GiB or 512MiB, got '" + v + "'");
}
}  // namespace

RunLimits runLimits(const BudgetFlags& f, int jobs) {
  RunLimits l;
  l.jobs = jobs;
  if (!f.maxMemory.empty()) l.maxMemoryBytes = flagBytes("max-memory", f.maxMemory);
  else l.maxMemoryBytes = availableMemoryBytes().value_or(8.0 * (int64_t{1} << 30));
  l.maxWallSeconds = 24 * 3600;
  if (!f.maxTime.empty()) {
    double secs = -1;
    try {
      secs = toSeconds(parseDuration(f.maxTime));
    } catch (const std::exception&) {
    }
    if (secs <= 0) throw po::error("--max-time: expected a duration such as 30m or 48h, got '" + f.maxTime + "'");
    l.maxWallSeconds = secs;
  }
  return l;
}

int64_t maxScenarioBytes(const BudgetFlags& f) {
  if (f.maxScenarioSize.empty()) return kMaxScenarioFileBytes;
  return static_cast<int64_t>(flagBytes("max-scenario-size", f.maxScenarioSize));
}

void addFitOption(po::options_description& opts) {
  opts.add_options()("fit", po::value<std::string>(),
                     "instead of a SCENARIO file, the scenario `gomemsim fit LOG` fits to a service's GODEBUG=gctrace=1 log "
                     "(written to the output directory as fitted.yaml)");
}

namespace {
// --fit LOG: the log fitted with fit's defaults (fit/fit.h); the lines it skipped are named on
// stderr, a log with nothing usable is bad input.
Scenario fittedScenario(const std::string& log, std::string* yaml) {
  FittedLog f;
  try {
    f = fitGcTraceFile(log, FitOptions{});
  } catch (const FitError& e) {
    throw ScenarioError("--fit", 0, 0, e.what());
  }
  for (const std::string& p : f.log.problems) std::cerr << "gomemsim: --fit: skipped " << p << "\n";
  std::cerr << "gomemsim: --fit: " << log << ": " << f.fit.cycles << " GC cycles fitted (GOGC "
            << (f.fit.gogc < 0 ? std::string("off") : std::to_string(f.fit.gogc)) << ", GOMAXPROCS " << f.fit.gomaxprocs
            << ", go " << f.fit.go << ")\n";
  if (yaml) *yaml = f.fit.yaml;
  return parseScenario(f.fit.yaml, log + " (fitted)");
}
}  // namespace

Scenario loadWithOverrides(const po::variables_map& vm, const std::vector<std::string>& envs, const std::vector<std::string>& sets,
                           int64_t maxScenarioBytes, std::string* fittedYaml) {
  Scenario s = vm.count("fit") ? fittedScenario(vm["fit"].as<std::string>(), fittedYaml)
                               : loadScenario(vm["scenario"].as<std::string>(), maxScenarioBytes);
  for (const auto& env : envs) applyEnv(s, env);
  for (const auto& kv : sets) applySet(s, kv);
  if (vm.count("seed")) s.seed = vm["seed"].as<uint64_t>();
  return s;
}

}  // namespace gomemsim
