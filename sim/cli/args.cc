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

Scenario loadWithOverrides(const po::variables_map& vm, const std::string& env, const std::vector<std::string>& sets) {
  Scenario s = loadScenario(vm["scenario"].as<std::string>());
  if (!env.empty()) applyEnv(s, env);
  for (const auto& kv : sets) applySet(s, kv);
  if (vm.count("seed")) s.seed = vm["seed"].as<uint64_t>();
  return s;
}

}  // namespace gomemsim
