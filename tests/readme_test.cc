// README.md checked against the code it documents, so that a newcomer with only the README open
// is not misled: every trace.csv column the writer emits is defined in its outputs section; the
// cheat-sheet's YAML examples are read by the scenario reader and simulated; every knob of the
// reader's table and every step kind is in the cheat-sheet, and every step kind is used by one
// of its examples; and the README points at nothing outside the repository.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

// GCC 12 at -O2 with the sanitizers warns, wrongly, that std::regex's compiled state "may be used
// uninitialized" (GCC bug 105562); the warning is an error in that build.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include "cli/cli_test_support.h"
#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

const std::string kRoot = GOMEMSIM_SOURCE_DIR;

// The headings of the README sections the tests read.
constexpr const char* kCheatSheet = "## Writing a scenario";
constexpr const char* kOutputs = "## Commands and what they write";
constexpr const char* kTraceColumns = "### trace.csv";

std::string readme() {
  const std::string text = cli_testing::readFile(kRoot + "/README.md");
  EXPECT_FALSE(text.empty()) << "cannot read " << kRoot << "/README.md";
  return text;
}

// The text from the line `heading` up to the next heading of the same or a higher level (lines
// inside ``` fences, such as YAML comments, are not headings); empty, and a failure, when the
// text has no line `heading`.
std::string section(const std::string& text, const std::string& heading) {
  const size_t level = heading.find(' ');
  std::istringstream in(text);
  std::string out, l;
  bool inside = false, fenced = false;
  while (std::getline(in, l)) {
    if (l.starts_with("```")) fenced = !fenced;
    const size_t hashes = fenced ? 0 : l.find_first_not_of('#');
    const bool isHeading = hashes != std::string::npos && hashes > 0 && l.size() > hashes && l[hashes] == ' ';
    if (inside && isHeading && hashes <= level) break;
    if (!inside && !fenced && l == heading) inside = true;
    if (inside) out += l + "\n";
  }
  if (!inside) ADD_FAILURE() << "README.md has no line '" << heading << "'";
  return out;
}

// A fenced ```yaml block: its text and the README line its first line is on.
struct YamlBlock {
  std::string text;
  int line = 0;
};

std::vector<YamlBlock> yamlBlocks(const std::string& text, int firstLine) {
  std::vector<YamlBlock> out;
  std::istringstream in(text);
  std::string l;
  int n = firstLine - 1;
  YamlBlock* open = nullptr;
  while (std::getline(in, l)) {
    ++n;
    if (open == nullptr && l == "```yaml") {
      out.push_back(YamlBlock{"", n + 1});
      open = &out.back();
    } else if (open != nullptr && l == "```") {
      open = nullptr;
    } else if (open != nullptr) {
      open->text += l + "\n";
    }
  }
  EXPECT_EQ(open, nullptr) << "a ```yaml block is not closed";
  return out;
}

int lineOf(const std::string& text, const std::string& part) {
  const size_t at = text.find(part);
  return at == std::string::npos ? 0 : 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

std::vector<std::string> splitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) out.push_back(cell);
  return out;
}

// "`name`". (Built by appending: GCC 12 warns falsely, -Wrestrict, on "`" + std::string&&.)
std::string backticked(const std::string& name) {
  std::string out = "`";
  out += name;
  out += '`';
  return out;
}

std::string regexQuoted(const std::string& s) { return std::regex_replace(s, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"); }

// A table row that defines `name`: "| `name` | ... words ... |".
bool definesInTable(const std::string& text, const std::string& name) {
  std::string pattern = "(^|\n)\\| ";
  pattern += regexQuoted(backticked(name));
  pattern += " \\|[^\n]*[A-Za-z][^\n]*\\|";
  const std::regex row(pattern);
  return std::regex_search(text, row);
}

TEST(Readme, DefinesEveryTraceCsvColumn) {
  const std::string dir = cli_testing::freshTempDir("readme_columns");
  const Scenario s = parseScenario(
      "about: a short run, for trace.csv's header\n"
      "steps:\n"
      "  - run: {for: 1s, alloc: [{rate: 10MB/s, size: 1KiB, lifetime: 100ms}]}\n"
      "  - gc\n",
      "readme_test.yaml");
  Simulation sim(s);
  writeOutputs(dir, s, sim.run());
  const std::string csv = cli_testing::readFile(dir + "/trace.csv");
  const std::vector<std::string> columns = splitCsvLine(csv.substr(0, csv.find('\n')));
  ASSERT_GT(columns.size(), 10u) << "trace.csv's header: " << csv.substr(0, csv.find('\n'));

  const std::string text = readme();
  const std::string outputs = section(text, kOutputs);
  const std::string table = section(outputs, kTraceColumns);
  for (const std::string& c : columns)
    EXPECT_TRUE(definesInTable(table, c)) << "README.md's '" << kTraceColumns << "' has no row | `" << c
                                          << "` | what it is |";
  // compare's trace puts a config column first.
  EXPECT_NE(outputs.find("`config`"), std::string::npos) << "README.md does not name compare's config column";
  // and every file run writes is named there.
  // The per-step heap profiles are named by their pattern, heap-step-NN-LABEL.pb.gz.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const std::string named = name.starts_with("heap-step-") ? "heap-step-NN-LABEL.pb.gz" : name;
    EXPECT_NE(outputs.find(backticked(named)), std::string::npos) << "README.md's outputs do not name " << named;
  }
}

TEST(Readme, TheCheatSheetScenarioRuns) {
  const std::string text = readme();
  const std::string cheat = section(text, kCheatSheet);
  const std::vector<YamlBlock> blocks = yamlBlocks(cheat, lineOf(text, cheat));
  ASSERT_GE(blocks.size(), 2u) << "the cheat-sheet should hold every step in one file and a complete example";
  for (const YamlBlock& b : blocks) {
    SCOPED_TRACE("README.md line " + std::to_string(b.line));
    Scenario s;
    try {
      s = parseScenario(b.text, "README.md");
    } catch (const ScenarioError& e) {
      FAIL() << "README.md:" << b.line + e.line() - 1 << ": the scenario reader refuses it: " << e.message();
    }
    Simulation sim(s);
    const SimResult r = sim.run();
    ASSERT_FALSE(r.rows.empty());
    EXPECT_EQ(r.rows.back().step, s.steps.back().label) << "the example should run to its last step";
    EXPECT_FALSE(r.rows.back().mem.oomKilled) << "the example is OOM-killed";
    EXPECT_GT(r.rows.back().mem.numGc, 0) << "the example never collects";
  }
}

TEST(Readme, EveryKnobIsInTheCheatSheet) {
  const std::string text = readme();
  const std::string cheat = section(text, kCheatSheet);
  for (const KnobName& k : scenarioKnobs()) {
    EXPECT_TRUE(definesInTable(cheat, k.path)) << "the cheat-sheet has no row | `" << k.path << "` | ... |";
    if (!k.alias.empty()) {
      std::string pattern = "\\| ";
      pattern += regexQuoted(backticked(k.path)) + " \\| " + regexQuoted(backticked(k.alias)) + " \\|";
      const std::regex row(pattern);
      EXPECT_TRUE(std::regex_search(cheat, row)) << "the cheat-sheet's row for " << k.path << " does not give its --set alias `"
                                                 << k.alias << "`";
    }
  }
  for (const char* key : {"about", "steps"})
    EXPECT_TRUE(definesInTable(cheat, key)) << "the cheat-sheet has no row for the top-level key " << key;

  std::string yaml;
  for (const YamlBlock& b : yamlBlocks(cheat, 1)) yaml += b.text;
  for (const std::string& kind : scenarioStepKinds()) {
    EXPECT_TRUE(definesInTable(cheat, kind)) << "the cheat-sheet's step table has no row | `" << kind << "` | ... |";
    std::string pattern = "(^|\n) *- ";
    pattern += regexQuoted(kind) + "(:| *(#|\n))";
    const std::regex used(pattern);
    EXPECT_TRUE(std::regex_search(yaml, used)) << "no example scenario in the cheat-sheet uses the step " << kind;
  }
}

TEST(Readme, PointsNowhereOutsideTheRepository) {
  const std::string text = readme();
  for (const char* outside : {"../shared", "/work/", "shared/SPEC", "realgo/"})
    EXPECT_EQ(text.find(outside), std::string::npos)
        << "README.md line " << lineOf(text, outside) << " points outside the repository: " << outside;
  // Every link to a file is to one in the repository.
  const std::regex link("\\]\\(([^)#]+)(#[^)]*)?\\)");
  for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it) {
    const std::string target = (*it)[1];
    if (target.starts_with("http://") || target.starts_with("https://")) continue;
    EXPECT_FALSE(target.starts_with("/") || target.starts_with("..")) << "README.md links outside the repository: " << target;
    EXPECT_TRUE(std::filesystem::exists(kRoot + "/" + target)) << "README.md links to a missing file: " << target;
  }
}

}  // namespace
}  // namespace gomemsim
