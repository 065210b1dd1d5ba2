// cli commands: subcommands of the gomemsim front end that live in their own files under
// sim/cli/ (main.cc dispatches to them). Each takes the arguments after the command name and
// returns the exit status; bad input throws ScenarioError or a Boost.Program_options error,
// which main turns into exit status 2.
#pragma once

#include <string>
#include <vector>

namespace gomemsim {

// gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] (compare/compare.h)
int cmdCompare(const std::vector<std::string>& args);

}  // namespace gomemsim
