// cli commands: subcommands of the gomemsim front end that live in their own files under
// sim/cli/ (main.cc dispatches to them). Each takes the arguments after the command name and
// returns the exit status; bad input throws ScenarioError or a Boost.Program_options error,
// which main turns into exit status 2.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

#include "engine/budget.h"
#include "scenario/scenario.h"

namespace gomemsim {

namespace po = boost::program_options;

inline constexpr int kExitBadInput = 2;

// Parses `gomemsim COMMAND SCENARIO [options]`: `opts` plus the positional SCENARIO, into vm.
// Returns the exit status when the command ends here (--help printed: 0; no SCENARIO: 2), or
// nullopt when it goes on.
std::optional<int> parseScenarioCommand(const std::string& command, const po::options_description& opts,
                                        const std::vector<std::string>& args, po::variables_map& vm);
// The run-budget flags of run, compare and validate (engine/budget.h): --max-memory,
// --max-time, --max-scenario-size.
struct BudgetFlags {
  std::string maxMemory, maxTime, maxScenarioSize;
};
void addBudgetOptions(po::options_description& opts, BudgetFlags& f);
// The limits the flags give (defaults: this machine's available memory, 24 h, 4 MiB); a bad
// value throws po::error (exit 2).
RunLimits runLimits(const BudgetFlags& f, int jobs);
int64_t maxScenarioBytes(const BudgetFlags& f);
// Loads SCENARIO (at most maxScenarioBytes) and applies --env, then every --set in order, then --seed.
Scenario loadWithOverrides(const po::variables_map& vm, const std::string& env, const std::vector<std::string>& sets,
                           int64_t maxScenarioBytes = kMaxScenarioFileBytes);

// gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] (compare/compare.h)
int cmdCompare(const std::vector<std::string>& args);

}  // namespace gomemsim
