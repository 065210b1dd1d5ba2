// scenario: the workload and runtime knobs of one simulation, as read from a YAML file.
//
// Models: what a scenario file says, already checked and in units (bytes, nanoseconds):
// runtime knobs (Go version, GOGC, GOMEMLIMIT, GOMAXPROCS, policies by name and the scavenger
// policy's parameters, checked against what that policy honours, seed), the machine,
// the sample interval, and an ordered list of steps (allocation runs, live sets, append growth,
// drops, idle, runtime.GC, debug.FreeOSMemory, debug.SetGCPercent, debug.SetMemoryLimit,
// goroutine counts, other programs' memory on the machine), each with an optional `name:`
// (beside the step kind, `- name: burst` / `  run: {...}`, or inside the step's own map where
// that map has no `name` of its own, `- run: {name: burst, ...}`; live_set and other_process
// use `name` for the set and the program, so their step name goes beside the kind). Overrides (`--env GOGC=...`, `--set key=value`) are applied here too.
// Does not model: anything about how the runtime executes it (see workload/ and engine/).
//
// Errors: every problem is reported as ScenarioError with file, line, column and the expected
// form; the CLI turns it into exit status 2.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "goversion/goversion.h"
#include "scavenger/scavenger.h"
#include "units/units.h"

namespace gomemsim {

class ScenarioError : public std::runtime_error {
 public:
  // line 0: a command-line flag (--env, --set), which has no line: "--set: message".
  ScenarioError(const std::string& file, int line, int column, const std::string& message)
      : std::runtime_error(line > 0 ? file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message
                                    : file + ": " + message),
        file_(file), line_(line), column_(column), message_(message) {}
  const std::string& file() const { return file_; }
  const std::string& message() const { return message_; }  // without the file:line:column prefix
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

// Where in the scenario file a thing was written (1-based); 0 when it came from an override.
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct SizeChoice {
  Bytes size;
  double weight = 1.0;
};

// Object size distribution of an allocation stream.
struct SizeDist {
  enum class Kind { Fixed, Choice, Uniform, LogNormal };
  Kind kind = Kind::Fixed;
  Bytes fixed{0};                   // Fixed
  std::vector<SizeChoice> choices;  // Choice (weights need not sum to 1)
  Bytes min{0}, max{0};             // Uniform: inclusive bounds
  Bytes median{0};                  // LogNormal: exp(mu) in bytes
  double sigma = 0;                 // LogNormal: sigma of ln(size)
  // LogNormal draws are clamped to [min, max] when max > 0; min defaults to 1 byte.
};

// How long an object stays reachable after it is allocated.
struct LifetimeDist {
  enum class Kind { Zero, Fixed, Exponential, LogNormal, Forever };
  Kind kind = Kind::Forever;
  Duration fixed{0};   // Fixed
  Duration mean{0};    // Exponential mean
  Duration median{0};  // LogNormal: exp(mu)
  double sigma = 0;    // LogNormal
};

// A stream of allocations at a steady byte rate.
struct AllocStream {
  std::string name;         // for the heap profile bucket; defaults to "stream<N>"
  double bytes_per_second = 0;
  SizeDist size;
  LifetimeDist lifetime;    // ignored (Forever) when set is non-empty
  std::string set;          // if non-empty, objects are held by this named live set until dropped
  double touch = 1.0;       // fraction of each object's bytes the program writes (0..1)
  bool pointers = false;    // objects contain pointers (scan span class, mark/scan work); a
                            // scenario file that does not say gets yes, unless every object is
                            // under 16 B (the reader's pointersByDefault)
  std::optional<Bytes> total;  // stop this stream after this many bytes (optional)
  SourcePos pos;
};

struct RunStep {
  Duration duration{0};
  std::vector<AllocStream> alloc;
};

// Grow named live set `name` to hold `grow_to` bytes of objects (requested sizes), allocated
// evenly over `over` (0 = as fast as the allocator goes).
struct LiveSetStep {
  std::string name;
  Bytes grow_to{0};
  SizeDist size;
  Duration over{0};
  double touch = 1.0;
  bool pointers = false;  // as AllocStream::pointers
};

// `times` appends of `add` bytes each to the slice named `slice`, with Go's growslice rule:
// s = append(s, make([]byte, add)...). elem is the element size (1 for []byte).
struct AppendStep {
  std::string slice;
  Bytes add{0};
  int64_t times = 1;
  Bytes elem{1};
  bool pointers = false;
};

// A named live set or slice loses its references. fraction < 1 drops that random fraction of
// its objects (a slice is one object, so only whole drops apply to it). all = every reference.
struct DropStep {
  std::string set;     // empty when all is true
  double fraction = 1.0;
  bool all = false;
};

struct IdleStep { Duration duration{0}; };
struct GcStep {};
struct FreeOsMemoryStep {};
struct SetGcPercentStep { int64_t percent = 100; };  // -1 = off
struct SetMemoryLimitStep { std::optional<Bytes> limit; };  // nullopt = off
struct GoroutinesStep {
  int64_t count = 0;     // number of goroutines alive from now on
  Bytes stack{8192};     // stack size of each (runtime stacks are powers of two >= 2 KiB)
};
// Another program on the same machine has `rss` resident from now on (0 = it exits). Its
// memory counts against machine.memory, not against the Go program's cgroup.
struct OtherProcessStep {
  std::string name = "other";
  Bytes rss{0};
};

using StepBody = std::variant<RunStep, LiveSetStep, AppendStep, DropStep, IdleStep, GcStep,
                              FreeOsMemoryStep, SetGcPercentStep, SetMemoryLimitStep,
                              GoroutinesStep, OtherProcessStep>;

struct Step {
  std::string label;  // the step's kind and object, e.g. "run", "drop:cache", "gc": what compare
                      // and validate classify rows by
  StepBody body;
  SourcePos pos;
  std::string name;   // the scenario's `name:` for it (empty: none given)
  // What trace.csv's `step` column, the report and the summary show: the name, else the label.
  const std::string& shown() const { return name.empty() ? label : name; }
};

struct RuntimeKnobs {
  // "1.19", "1.21.4", ... as the version table reads it (goversion.h); empty = not given, which
  // runs the newest modelled release (kNewestGo).
  std::string go_version;
  int64_t gogc = 100;                  // -1 = off
  std::optional<Bytes> memory_limit;   // nullopt = off (math.MaxInt64)
  std::optional<int64_t> gomaxprocs;   // nullopt: the runtime's default (gomaxprocsOf)
  std::string scavenger = "auto";      // policy name, "auto" = the Go version's own
  ScavengerParams scavenger_params;    // scavenger_params: {idle_threshold, period, retain_extra,
                                       // cpu_fraction}; each must be one the policy honours
  std::string pacer = "auto";
  std::string madvise = "auto";        // auto | dontneed | free
  std::string godebug;                 // GODEBUG string as given (e.g. "madvdontneed=0")
  std::string goexperiment;            // GOEXPERIMENT as given (e.g. "nogreenteagc")
};

// The release a scenario runs: its go_version's row, or the newest modelled release's.
const GoRelease& goReleaseOf(const RuntimeKnobs& k);
// The version it runs as text: go_version, or kNewestGo when none was given.
std::string goVersionText(const RuntimeKnobs& k);

struct Scenario;
// GOMAXPROCS as the runtime sets it: runtime.gomaxprocs (the GOMAXPROCS variable) if given, else
// the CPUs of machine.cpus (Go <= 1.24 proc.go schedinit: ncpu), and from Go 1.25
// (GoRelease::containerAwareGomaxprocs, cgroup_linux.go defaultGOMAXPROCS) at most the cgroup's
// CPU limit rounded up, but not below 2, unless GODEBUG=containermaxprocs=0.
int64_t gomaxprocsOf(const Scenario& s);

struct MachineKnobs {
  Bytes memory = GiB(24);
  std::optional<Bytes> cgroup_limit;
  std::string thp = "madvise";  // transparent huge pages: never | madvise | always
  Bytes baseline_rss{0};  // 0 = the runtime model's default for the Go version
  int64_t cpus = 2;       // CPUs the process may run on (sched_getaffinity)
  std::optional<double> cpu_limit;  // the cgroup's CPU quota / period (cpu.max), in CPUs
  // How fast this machine does the runtime's and the program's CPU work (marking, sweeping,
  // allocating, page faults, madvise) relative to the machine gomemsim's cost constants were
  // calibrated on (tests/fidelity: a 2-vCPU AMD EPYC VM); 2 halves every such cost.
  double cpu_speed = 1.0;
};

struct Scenario {
  std::string file;    // path it was read from
  // The knobs the file or --set gave (dotted paths, in order): what validate checks against
  // what the real runtime can be told (knobsRealGoCannotSet).
  std::vector<std::string> knobs_given;
  std::string name;
  std::string about;
  RuntimeKnobs runtime;
  MachineKnobs machine;
  Duration sample_every = Milliseconds(100);
  uint64_t seed = 1;
  std::vector<Step> steps;
};

// Reads and validates a scenario file. Throws ScenarioError.
// Files larger than maxFileBytes are refused before they are parsed (the YAML reader holds the
// whole tree, ~80 times the file's size): exit 2 in a second instead of gigabytes later.
inline constexpr int64_t kMaxScenarioFileBytes = int64_t{4} << 20;
Scenario loadScenario(const std::string& path, int64_t maxFileBytes = kMaxScenarioFileBytes);
// Same, from text (path is only used in messages).
Scenario parseScenario(const std::string& text, const std::string& path);

// `--env GOGC=off,GOMEMLIMIT=1GiB,GODEBUG=madvdontneed=1,GOMAXPROCS=4`: Go's own names and
// value syntax. Throws ScenarioError with file "--env".
void applyEnv(Scenario& s, const std::string& env);
// `--set key=value`, key a dotted path such as runtime.gogc, machine.memory, seed,
// sample_every, runtime.scavenger_params.idle_threshold, or a short alias (gogc, scavenger,
// madvise, go, gomaxprocs, memory_limit). Setting runtime.go, runtime.scavenger or a scavenger
// parameter re-checks the parameters against the policy then in effect, so with several --set
// the policy is best set first. Throws ScenarioError with file "--set".
void applySet(Scenario& s, const std::string& assignment);

// What the reader accepts, for its documentation and the checks that keep README.md's scenario
// cheat-sheet complete: every knob of the table (dotted path, and the short alias --set also
// takes, empty if none) and every step kind, in the reader's order.
struct KnobName {
  std::string path;
  std::string alias;
};
std::vector<KnobName> scenarioKnobs();
std::vector<std::string> scenarioStepKinds();

// Whether `gomemsim validate` can have the real runtime do what a knob says: Set (the driver
// sets it: the toolchain, GOGC, GOMEMLIMIT, GOMAXPROCS, GODEBUG, sampling), DriverChecks (the
// driver accepts only what the real runtime does, such as the release's own scavenger and
// pacer, and refuses the rest itself), Refused (real Go has no such setting).
enum class KnobRealGo { Set, DriverChecks, Refused };
// The knobs the scenario gives that real Go cannot be told, each "path: why" (every knob of the
// table in scenario.cc declares its KnobRealGo). validate refuses a scenario that has any.
std::vector<std::string> knobsRealGoCannotSet(const Scenario& s);

// Unit parsing, shared by the parser and the overrides. Throw std::invalid_argument with the
// expected form in the message.
Bytes parseBytes(const std::string& text);          // "64B", "32KiB", "1.5GiB", "100MB", "4096"
Duration parseDuration(const std::string& text);    // "250ms", "5m", "1.5s", "2h", "10us", "0"
double parseRate(const std::string& text);          // "100MB/s", "1GiB/s" -> bytes per second

}  // namespace gomemsim
