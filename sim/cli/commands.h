// cli commands: subcommands of the gomemsim front end that live in their own files under
// sim/cli/ (main.cc dispatches to them). Each takes the arguments after the command name and
// returns the exit status; bad input throws ScenarioError or a Boost.Program_options error,
// which main turns into exit status 2.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace gomemsim {

namespace po = boost::program_options;

inline constexpr int kExitBadInput = 2;

// Parses `gomemsim COMMAND SCENARIO [options]`: `opts` plus the positional SCENARIO, into vm.
// Returns the exit status when the command ends here (--help printed: 0; no SCENARIO: 2), or
// nullopt when it goes on.
std::optional<int> parseScenarioCommand(const std::string& command, const po::options_description& opts,
                                        const std::vector<std::string>& args, po::variables_map& vm);
// Loads SCENARIO and applies --env, then every --set in order, then --seed.
Scenario loadWithOverrides(const po::variables_map& vm, const std::string& env, const std::vector<std::string>& sets);

// gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] (compare/compare.h)
int cmdCompare(const std::vector<std::string>& args);

}  // namespace gomemsim
