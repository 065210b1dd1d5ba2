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

// Help text. Boost.Program_options wraps descriptions at a fixed width and cuts a word longer
// than half a line in two ("GOMAXPR" / "OCS=4"); so options are described with
// helpOptions(caption), which Boost lays out one line per option, and printed with helpText,
// which wraps each description between words at helpWidth() columns, continuing under the
// description column. A word longer than the room left is put on a line of its own, whole.
po::options_description helpOptions(const std::string& caption);
// $COLUMNS when it is a number from 40 to 1000, else 80.
size_t helpWidth();
std::string helpText(const po::options_description& opts, size_t width = helpWidth());
// The wrapping itself: every line of `rendered` longer than width is broken between words;
// a line starting with blanks whose text begins at `column` (an option's description) continues
// at that column, any other at its own indentation.
std::string wrapHelpLines(const std::string& rendered, size_t column, size_t width);

// Parses a command's arguments into vm: `opts` plus up to maxCount (-1: any number) positional
// arguments stored as `positional` with `value` (which it takes over). Returns true when --help
// was asked for and printed (the command then ends with 0).
bool parseCommandLine(const po::options_description& opts, const std::vector<std::string>& args, const char* positional,
                      const po::value_semantic* value, int maxCount, po::variables_map& vm);
// Parses `gomemsim COMMAND SCENARIO [options]`: `opts` plus the positional SCENARIO, into vm.
// Returns the exit status when the command ends here (--help printed: 0; no SCENARIO and no
// --fit, or both: 2), or nullopt when it goes on.
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
// --fit LOG for run and compare: the scenario fitted to a gctrace log stands for SCENARIO.
void addFitOption(po::options_description& opts);
// Loads SCENARIO (at most maxScenarioBytes), or fits --fit LOG (its YAML into *fittedYaml), and
// applies every --env, then every --set, each in order (a later one wins), then --seed.
Scenario loadWithOverrides(const po::variables_map& vm, const std::vector<std::string>& envs, const std::vector<std::string>& sets,
                           int64_t maxScenarioBytes = kMaxScenarioFileBytes, std::string* fittedYaml = nullptr);

// gomemsim compare SCENARIO --vary KEY=V1,V2,... [--vary ...] (compare/compare.h)
int cmdCompare(const std::vector<std::string>& args);
// gomemsim fit GCTRACE_LOG [--out SCENARIO] (fit/fit.h)
int cmdFit(const std::vector<std::string>& args);

}  // namespace gomemsim
