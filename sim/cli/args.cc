// Argument handling shared by the commands that take a SCENARIO file (run, compare, validate).
#include <iostream>

#include "cli/commands.h"

namespace gomemsim {

std::optional<int> parseScenarioCommand(const std::string& command, const po::options_description& opts,
                                        const std::vector<std::string>& args, po::variables_map& vm) {
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>(), "scenario file");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (!vm.count("scenario")) {
    std::cerr << "gomemsim " << command << ": missing SCENARIO file\n" << opts;
    return kExitBadInput;
  }
  return std::nullopt;
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

Scenario loadWithOverrides(const po::variables_map& vm, const std::string& env, const std::vector<std::string>& sets,
                           int64_t maxScenarioBytes) {
  Scenario s = loadScenario(vm["scenario"].as<std::string>(), maxScenarioBytes);
  if (!env.empty()) applyEnv(s, env);
  for (const auto& kv : sets) applySet(s, kv);
  if (vm.count("seed")) s.seed = vm["seed"].as<uint64_t>();
  return s;
}

}  // namespace gomemsim
