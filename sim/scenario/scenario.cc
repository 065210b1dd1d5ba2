// scenario.cc: reads scenario files (YAML) and applies the --env / --set overrides.
//
// Design: yaml-cpp builds the node tree; a Reader walks it. Every value it reads is a Value: the
// node, the node to blame in an error (the key when the value is empty, since yaml-cpp marks an
// empty value at the next token) and a dotted name such as "steps[2].live_set.grow_to". Every map
// goes through Fields, which rejects unknown and duplicate keys up front, listing the allowed
// ones. Scalars go through small parsers that throw std::invalid_argument naming the expected
// form (parseBytes, parseDuration, parseRate, ...); the Reader adds the name and the position and
// throws ScenarioError. The runtime/machine/top-level knobs are one table (kKnobs) shared by the
// file reader and --set, so both check values the same way and list the same keys.
// Caution: assigning to a yaml-cpp Node that already refers to a node overwrites that node in the
// document, so Nodes and Values here are only ever constructed, never assigned.
#include "scenario/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <string_view>

#include "common/godebug.h"
#include "pacer/pacer.h"
#include "sizeclass/sizeclass.h"

namespace gomemsim {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

constexpr std::string_view kSizeForm = "expected a size such as 64B, 32KiB, 1.5GiB";
constexpr std::string_view kDurationForm =
    "expected a duration such as 250ms, 1.5s, 5m, 2h, 10us or 0";
constexpr std::string_view kRateForm = "expected a rate such as 100MB/s, 1.5GiB/s or 64KiB/ms";
constexpr std::string_view kPercentForm = "expected a percentage such as 10% or 1.5%";
constexpr std::string_view kLifetimeForm =
    "expected a lifetime such as 0, 2s, forever, {fixed: 2s}, {exponential: 500ms} or "
    "{lognormal: {median: 1s, sigma: 0.5}}";
constexpr std::string_view kSizeDistForm =
    "expected a size such as 4KiB, {choice: [{size: 32B, weight: 4}, {size: 1KiB, weight: 1}]}, "
    "{uniform: [64B, 1KiB]} or {lognormal: {median: 1KiB, sigma: 1.0}}";

// ---------------------------------------------------------------------------------------------
// Text helpers

std::string inQuotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string joined(const std::vector<std::string_view>& items, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

[[noreturn]] void invalid(std::string_view form, std::string_view text, std::string_view why = "") {
  std::string msg(form);
  msg += ", got " + inQuotes(text);
  if (!why.empty()) msg += " (" + std::string(why) + ")";
  throw std::invalid_argument(msg);
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::optional<int64_t> toInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> toReal(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Numbers with units

// A non-negative decimal such as "12" or "1.5", kept exact when it is a whole number.
struct Decimal {
  int64_t whole = 0;
  double value = 0;
  bool integral = true;
};

// Parses digits with at most one '.', nothing else.
std::optional<Decimal> toDecimal(std::string_view s) {
  size_t dot = s.find('.');
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != dot && !isDigit(s[i])) return std::nullopt;
    if (i != dot) ++digits;
  }
  if (digits == 0) return std::nullopt;
  Decimal d;
  d.integral = dot == std::string_view::npos;
  if (d.integral) {
    auto w = toInt(s);
    if (!w) return std::nullopt;  // overflow
    d.whole = *w;
    d.value = static_cast<double>(*w);
    return d;
  }
  auto v = toReal(s);
  if (!v) return std::nullopt;
  d.value = *v;
  return d;
}

// d * unit rounded to the nearest integer; nullopt when it does not fit in int64.
std::optional<int64_t> scaled(const Decimal& d, int64_t unit) {
  if (d.integral) {
    int64_t out = 0;
    if (__builtin_mul_overflow(d.whole, unit, &out)) return std::nullopt;
    return out;
  }
  double v = d.value * static_cast<double>(unit);
  if (v >= 9.2e18) return std::nullopt;
  return std::llround(v);
}

// Splits "1.5GiB" into "1.5" and "GiB" (spaces between them are allowed).
std::pair<std::string_view, std::string_view> splitNumber(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && (isDigit(t[i]) || t[i] == '.')) ++i;
  return {t.substr(0, i), trim(t.substr(i))};
}

std::optional<int64_t> byteUnit(std::string_view unit) {
  static const std::map<std::string_view, int64_t> kUnits = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"TB", int64_t{1000} * 1000 * 1000 * 1000},
      {"KiB", int64_t{1} << 10},
      {"MiB", int64_t{1} << 20},
      {"GiB", int64_t{1} << 30},
      {"TiB", int64_t{1} << 40},
  };
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return it->second;
}

// A byte count as written: the number and the unit's multiplier. form names the caller's syntax.
std::pair<Decimal, int64_t> splitBytes(std::string_view text, std::string_view form) {
  std::string_view t = trim(text);
  if (!t.empty() && t[0] == '-') invalid(form, text, "must not be negative");
  auto [num, unit] = splitNumber(t);
  auto d = toDecimal(num);
  if (!d) invalid(form, text);
  auto mult = byteUnit(unit);
  if (!mult) invalid(form, text, "units are B, KB, MB, GB, TB, KiB, MiB, GiB, TiB");
  return {*d, *mult};
}

std::optional<int64_t> durationUnit(std::string_view unit) {
  static const std::map<std::string_view, int64_t> kUnits = {
      {"ns", 1},
      {"us", 1000},
      {"\xC2\xB5s", 1000},  // µs (micro sign)
      {"\xCE\xBCs", 1000},  // μs (Greek mu), as Go's time.ParseDuration also accepts
      {"ms", 1000 * 1000},
      {"s", 1000 * 1000 * 1000},
      {"m", int64_t{60} * 1000 * 1000 * 1000},
      {"h", int64_t{3600} * 1000 * 1000 * 1000},
  };
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return it->second;
}

// One "<number><unit>" term of a duration such as "1h30m"; advances t past it.
int64_t durationTerm(std::string_view& t, std::string_view text) {
  size_t i = 0;
  while (i < t.size() && (isDigit(t[i]) || t[i] == '.')) ++i;
  size_t j = i;
  while (j < t.size() && !isDigit(t[j]) && t[j] != '.') ++j;
  auto d = toDecimal(t.substr(0, i));
  if (!d) invalid(kDurationForm, text);
  std::string_view unit = t.substr(i, j - i);
  if (unit.empty()) invalid(kDurationForm, text, "a number other than 0 needs a unit");
  auto mult = durationUnit(unit);
  if (!mult) invalid(kDurationForm, text, "units are ns, us, ms, s, m, h");
  auto ns = scaled(*d, *mult);
  if (!ns) invalid(kDurationForm, text, "too long");
  t.remove_prefix(j);
  return *ns;
}

// ---------------------------------------------------------------------------------------------
// Knob values, shared by the file reader and the overrides. Each throws std::invalid_argument.

Bytes positiveBytes(const std::string& text) {
  Bytes b = parseBytes(text);
  if (b.v <= 0) invalid(kSizeForm, text, "must be greater than 0");
  return b;
}

Duration positiveDuration(const std::string& text) {
  Duration d = parseDuration(text);
  if (d.v <= 0) invalid(kDurationForm, text, "must be greater than 0");
  return d;
}

std::optional<Bytes> bytesOrOff(const std::string& text) {
  if (trim(text) == "off") return std::nullopt;
  try {
    return parseBytes(text);
  } catch (const std::invalid_argument&) {
    invalid("expected a size such as 512MiB, 1GiB or off", text);
  }
}

int64_t integerAtLeast(const std::string& text, int64_t min, std::string_view form) {
  auto v = toInt(trim(text));
  if (!v || *v < min) invalid(form, text);
  return *v;
}

// GOGC / debug.SetGCPercent: a percentage >= 0, or off (-1).
int64_t gcPercent(const std::string& text) {
  if (trim(text) == "off") return -1;
  return integerAtLeast(text, 0, "expected a whole percentage >= 0 such as 100, or off");
}

int64_t gomaxprocs(const std::string& text) {
  return integerAtLeast(text, 1, "expected a whole number of Ps >= 1 such as 2 or 8");
}

uint64_t seedValue(const std::string& text) {
  std::string_view t = trim(text);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    invalid("expected a seed: a whole number >= 0 such as 42", text);
  }
  return v;
}

// "1.21", "1.21.4", "go1.27": the text as the version table reads it (goversion.h); a
// malformed or unmodelled version throws GoVersionError, an invalid_argument.
std::string goVersion(const std::string& text) { return parseGoVersion(text).text(); }

// GOEXPERIMENT: comma-separated experiment names, as the go command takes them.
std::string goExperiment(const std::string& text) {
  std::string_view t = trim(text);
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ',' || c == '_'))
      invalid("expected GOEXPERIMENT names separated by commas, such as nogreenteagc", text);
  return std::string(t);
}

// machine.cpu_speed: a factor above 0 ("1.9"), the calibration machine being 1.
double cpuSpeed(const std::string& text) {
  auto d = toDecimal(trim(text));
  if (!d || d->value <= 0 || d->value > 100)
    invalid("expected a speed factor above 0 such as 1 (the calibration machine) or 1.9 (up to 100)", text);
  return d->value;
}

// machine.cpu_limit: the cgroup's cpu.max quota/period in CPUs ("1.5"), or off.
std::optional<double> cpuLimit(const std::string& text) {
  std::string_view t = trim(text);
  if (t == "off") return std::nullopt;
  auto d = toDecimal(t);
  if (!d || d->value <= 0) invalid("expected a CPU limit such as 1.5 or 4 (cpu.max quota / period), or off", text);
  return d->value;
}

std::string thpMode(const std::string& text) {
  std::string_view t = trim(text);
  if (t != "never" && t != "madvise" && t != "always")
    invalid("expected never, madvise or always (/sys/kernel/mm/transparent_hugepage/enabled)", text);
  return std::string(t);
}

std::string madvise(const std::string& text) {
  std::string_view t = trim(text);
  if (t != "auto" && t != "dontneed" && t != "free")
    invalid("expected auto, dontneed or free", text);
  return std::string(t);
}

// "10%" -> 0.10; within [lo, hi] (as fractions), lo excluded when loOpen.
double percent(const std::string& text, double lo, bool loOpen, double hi) {
  std::string_view t = trim(text);
  if (t.empty() || t.back() != '%') invalid(kPercentForm, text);
  auto d = toDecimal(trim(t.substr(0, t.size() - 1)));
  if (!d) invalid(kPercentForm, text);
  const double f = d->value / 100;
  if (f < lo || (loOpen && f == lo) || f > hi) {
    invalid(kPercentForm, text,
            std::string(loOpen ? "more than " : "at least ") + std::to_string(static_cast<int>(lo * 100)) +
                "% and at most " + std::to_string(static_cast<int>(hi * 100)) + "%");
  }
  return f;
}

Duration nonNegativeDuration(const std::string& text) {
  Duration d = parseDuration(text);
  if (d.v < 0) invalid(kDurationForm, text, "must not be negative");
  return d;
}

std::string nonEmpty(const std::string& text) {
  std::string_view t = trim(text);
  if (t.empty()) invalid("expected a non-empty name", text);
  return std::string(t);
}

// A knob settable from the file and from --set. path is the dotted key; alias its short form;
// realGo whether `gomemsim validate` can have the real runtime do the same (every knob says,
// so a knob added later cannot slip past validate's refusal list).
struct Knob {
  std::string_view path;
  std::string_view alias;
  KnobRealGo realGo;
  std::string_view refusal;  // for KnobRealGo::Refused: why real Go cannot be told this
  std::function<void(Scenario&, const std::string&)> set;
};

// What a Go program's objects of these sizes hold when the scenario does not say. Struct-sized
// objects (16 B to 1 KiB: requests, cache entries, map buckets, slices of them) hold pointers;
// objects under 16 B are mostly short strings and scalars (what the tiny allocator packs), and
// larger ones mostly byte buffers ([]byte for I/O, bytes.Buffer, bufio). A distribution is
// judged by its typical size: the fixed size, the weighted mean of a choice, the middle of a
// uniform range, the median of a lognormal.
bool pointersByDefault(const SizeDist& d) {
  double typical = 0;
  switch (d.kind) {
    case SizeDist::Kind::Fixed: typical = static_cast<double>(d.fixed.v); break;
    case SizeDist::Kind::Choice: {
      double w = 0;
      for (const SizeChoice& c : d.choices) {
        typical += c.weight * static_cast<double>(c.size.v);
        w += c.weight;
      }
      typical = w > 0 ? typical / w : 0;
      break;
    }
    case SizeDist::Kind::Uniform: typical = (static_cast<double>(d.min.v) + static_cast<double>(d.max.v)) / 2; break;
    case SizeDist::Kind::LogNormal: typical = static_cast<double>(d.median.v); break;
  }
  return typical >= static_cast<double>(kTinySize) && typical <= 1024;
}

// runtime.pacer: auto (the Go version's own) or a pacer policy gomemsim models.
std::string pacerName(const std::string& v) {
  const std::string name = nonEmpty(v);
  if (name != "auto" && !isKnownPacer(name))
    throw std::invalid_argument("expected auto or a pacer policy (" + std::string(kKnownPacers) + "), got " +
                                inQuotes(name));
  return name;
}

constexpr std::string_view kNoScavengerSetting =
    "a gomemsim scavenger policy's parameter: the real runtime's scavenger has no setting for it";

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> kKnobs = {
      {"runtime.go", "go", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.go_version = goVersion(v); }},
      {"runtime.gogc", "gogc", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.gogc = gcPercent(v); }},
      {"runtime.memory_limit", "memory_limit", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.memory_limit = bytesOrOff(v); }},
      {"runtime.gomaxprocs", "gomaxprocs", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.gomaxprocs = gomaxprocs(v); }},
      {"runtime.scavenger", "scavenger", KnobRealGo::DriverChecks, "",
       [](Scenario& s, const std::string& v) { s.runtime.scavenger = nonEmpty(v); }},
      {"runtime.scavenger_params.idle_threshold", "", KnobRealGo::Refused, kNoScavengerSetting,
       [](Scenario& s, const std::string& v) {
         s.runtime.scavenger_params.idleThreshold = nonNegativeDuration(v);
       }},
      {"runtime.scavenger_params.period", "", KnobRealGo::Refused, kNoScavengerSetting,
       [](Scenario& s, const std::string& v) { s.runtime.scavenger_params.period = positiveDuration(v); }},
      {"runtime.scavenger_params.retain_extra", "", KnobRealGo::Refused, kNoScavengerSetting,
       [](Scenario& s, const std::string& v) {
         s.runtime.scavenger_params.retainExtra = percent(v, 0, false, 10);
       }},
      {"runtime.scavenger_params.cpu_fraction", "", KnobRealGo::Refused, kNoScavengerSetting,
       [](Scenario& s, const std::string& v) {
         s.runtime.scavenger_params.cpuFraction = percent(v, 0, true, 1);
       }},
      {"runtime.goexperiment", "goexperiment", KnobRealGo::Refused, "the real-Go driver is built without GOEXPERIMENT, so the real run would not have it",
       [](Scenario& s, const std::string& v) { s.runtime.goexperiment = goExperiment(v); }},
      {"runtime.pacer", "pacer", KnobRealGo::DriverChecks, "",
       [](Scenario& s, const std::string& v) { s.runtime.pacer = pacerName(v); }},
      {"runtime.madvise", "madvise", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.madvise = madvise(v); }},
      {"runtime.godebug", "godebug", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.runtime.godebug = std::string(trim(v)); }},
      {"machine.memory", "", KnobRealGo::Refused, "the real run gets this machine's memory",
       [](Scenario& s, const std::string& v) { s.machine.memory = positiveBytes(v); }},
      {"machine.cgroup_limit", "", KnobRealGo::DriverChecks, "",
       [](Scenario& s, const std::string& v) {
         auto b = bytesOrOff(v);
         if (b && b->v <= 0) invalid(kSizeForm, v, "must be greater than 0, or off");
         s.machine.cgroup_limit = b;
       }},
      {"machine.cpus", "cpus", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.machine.cpus = integerAtLeast(v, 1, "expected a whole number of CPUs >= 1 such as 2 or 64"); }},
      {"machine.cpu_limit", "cpu_limit", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.machine.cpu_limit = cpuLimit(v); }},
      // The real run gets this machine's speed; the knob tells gomemsim what that speed is.
      {"machine.cpu_speed", "cpu_speed", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.machine.cpu_speed = cpuSpeed(v); }},
      {"machine.thp", "thp", KnobRealGo::DriverChecks, "",
       [](Scenario& s, const std::string& v) { s.machine.thp = thpMode(v); }},
      {"machine.baseline_rss", "", KnobRealGo::Refused, "gomemsim's allowance for the binary and libc; the real program has its own",
       [](Scenario& s, const std::string& v) { s.machine.baseline_rss = parseBytes(v); }},
      {"sample_every", "", KnobRealGo::Set, "",
       [](Scenario& s, const std::string& v) { s.sample_every = positiveDuration(v); }},
      {"seed", "", KnobRealGo::Set, "", [](Scenario& s, const std::string& v) { s.seed = seedValue(v); }},
      {"name", "", KnobRealGo::Set, "", [](Scenario& s, const std::string& v) { s.name = nonEmpty(v); }},
  };
  return kKnobs;
}

void noteKnobGiven(Scenario& s, std::string_view path) {
  if (std::find(s.knobs_given.begin(), s.knobs_given.end(), path) == s.knobs_given.end())
    s.knobs_given.emplace_back(path);
}

const Knob* findKnob(std::string_view key) {
  for (const Knob& k : knobs()) {
    if (k.path == key || (!k.alias.empty() && k.alias == key)) return &k;
  }
  return nullptr;
}

// The keys of the knobs under prefix ("runtime." -> go, gogc, ...).
std::vector<std::string_view> knobKeys(std::string_view prefix) {
  std::vector<std::string_view> keys;
  for (const Knob& k : knobs()) {
    std::string_view rest = k.path.substr(std::min(prefix.size(), k.path.size()));
    if (k.path.starts_with(prefix) && rest.find('.') == std::string_view::npos)
      keys.push_back(rest);
  }
  return keys;
}

// The nested maps under prefix ("runtime." -> scavenger_params), after the plain keys.
std::vector<std::string_view> knobGroups(std::string_view prefix) {
  std::vector<std::string_view> groups;
  for (const Knob& k : knobs()) {
    std::string_view rest = k.path.substr(std::min(prefix.size(), k.path.size()));
    const size_t dot = rest.find('.');
    if (!k.path.starts_with(prefix) || dot == std::string_view::npos) continue;
    if (std::find(groups.begin(), groups.end(), rest.substr(0, dot)) == groups.end())
      groups.push_back(rest.substr(0, dot));
  }
  return groups;
}

// The scavenger policy a scenario runs: runtime.scavenger, or its Go release's own.
std::string scavengerPolicy(const RuntimeKnobs& k) {
  return k.scavenger == "auto" ? std::string(goReleaseOf(k).scavenger) : k.scavenger;
}

// Throws ScavengerParamError when a scavenger parameter is not one the policy honours.
void checkScavengerKnobs(const RuntimeKnobs& k) {
  greenTeaFor(goReleaseOf(k), k.goexperiment);  // GOEXPERIMENT must name what the release has
  try {
    checkScavengerParams(scavengerPolicy(k), k.scavenger_params);
  } catch (const ScavengerParamError& e) {
    if (k.scavenger != "auto") throw;
    throw ScavengerParamError(e.param(), std::string(e.what()) + "; runtime.scavenger is auto, which is " +
                                             scavengerPolicy(k) + " for go " + goVersionText(k));
  }
}

// ---------------------------------------------------------------------------------------------
// The YAML reader

// A value to read, where to blame it, and its dotted name for messages.
struct Value {
  YAML::Node node;
  YAML::Node at;
  std::string what;
};

std::string child(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string kindOf(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return inQuotes(n.Scalar());
  return "nothing";
}

class Reader;
struct StepKind;

// A step's kind, where the kind is written, and its value (the step itself for a bare step).
struct StepParts {
  std::string name;
  YAML::Node nameAt;
  Value body;
  std::optional<Value> stepName;  // `name:` beside the kind (`- name: burst` / `  run: {...}`)
};

// The entries of one YAML map, checked against the allowed keys.
class Fields {
 public:
  Fields(const Reader& r, const Value& map, std::vector<std::string_view> allowed);
  std::optional<Value> get(std::string_view key) const;
  Value require(std::string_view key, std::string_view example) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

 private:
  const Reader& r_;
  Value map_;
  std::vector<std::pair<std::string, Value>> entries_;
};

// What a name used by drop refers to.
enum class Holder { Set, Slice };

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Scenario scenario(const YAML::Node& doc);
  // Every step kind the reader accepts, with its example and how it is read.
  static const std::vector<StepKind>& stepKinds();

  [[noreturn]] void failAt(const YAML::Node& at, const std::string& msg) const {
    YAML::Mark m = at.Mark();
    if (m.is_null()) throw ScenarioError(file_, 1, 1, msg);
    throw ScenarioError(file_, m.line + 1, m.column + 1, msg);
  }
  [[noreturn]] void fail(const Value& v, const std::string& msg) const {
    failAt(v.at, v.what.empty() ? msg : v.what + ": " + msg);
  }

 private:
  std::string text(const Value& v) const;
  template <typename Parse>
  auto parse(const Value& v, Parse p) const -> decltype(p(std::string()));
  Fields fields(const Value& v, std::vector<std::string_view> allowed) const {
    return Fields(*this, v, std::move(allowed));
  }
  std::pair<std::string, Value> single(const Value& v, std::vector<std::string_view> allowed,
                                       std::string_view form) const;
  std::vector<Value> items(const Value& v, std::string_view example) const;

  double realIn(const Value& v, double lo, bool loOpen, double hi) const;
  bool boolean(const Value& v) const;
  void setKnob(const Value& v, std::string_view path, Scenario& s) const;
  void knobs(const Value& v, std::string_view prefix, Scenario& s) const;
  void checkScavenger(const Scenario& s, const Value& runtime) const;

  SizeDist sizeDist(const Value& v) const;
  SizeDist choice(const Value& v) const;
  SizeDist uniform(const Value& v) const;
  SizeDist logNormalSize(const Value& v) const;
  LifetimeDist lifetime(const Value& v) const;

  StepParts stepParts(const Value& v) const;
  Step step(const Value& v);
  std::string readStepName(const Value& v, const Step& s);
  Step run(const Value& v);
  AllocStream stream(const Value& v);
  Step liveSet(const Value& v);
  Step append(const Value& v);
  Step drop(const Value& v);
  Step idle(const Value& v);
  Step setGcPercent(const Value& v);
  Step setMemoryLimit(const Value& v);
  Step goroutines(const Value& v);
  Step otherProcess(const Value& v);
  void hold(const Value& where, const std::string& name, Holder h);

  std::string file_;
  std::map<std::string, Holder> holders_;  // live sets and slices created so far
  std::map<std::string, Step> named_;      // step names given so far: the first step of each
  mutable std::map<std::string, Value> knobAt_;  // where each knob was written, by path
  int streams_ = 0;                        // allocation streams read so far
};

Fields::Fields(const Reader& r, const Value& map, std::vector<std::string_view> allowed)
    : r_(r), map_(map) {
  if (!map.node.IsMap()) {
    r.fail(map, "expected a map with keys " + joined(allowed) + ", got " + kindOf(map.node));
  }
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    YAML::Node key = it->first;  // copies: it-> yields a temporary
    if (!key.IsScalar()) r.failAt(key, "expected a plain key, got " + kindOf(key));
    std::string k = key.Scalar();
    bool ok = std::find(allowed.begin(), allowed.end(), k) != allowed.end();
    std::string name = child(map.what, k);
    if (!ok)
      r.failAt(key, "unknown key " + inQuotes(name) + "; expected one of " + joined(allowed));
    if (has(k)) r.failAt(key, "duplicate key " + inQuotes(name));
    YAML::Node val = it->second;
    entries_.emplace_back(k, Value{val, val.IsNull() ? key : val, name});
  }
}

std::optional<Value> Fields::get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Value Fields::require(std::string_view key, std::string_view example) const {
  auto v = get(key);
  if (!v) r_.fail(map_, "missing " + inQuotes(key) + ", e.g. " + std::string(example));
  return *v;
}

std::string Reader::text(const Value& v) const {
  if (!v.node.IsScalar()) fail(v, "expected a single value, got " + kindOf(v.node));
  return v.node.Scalar();
}

// Runs a string parser on v's text, turning std::invalid_argument into a ScenarioError at v.
template <typename Parse>
auto Reader::parse(const Value& v, Parse p) const -> decltype(p(std::string())) {
  std::string t = text(v);
  try {
    return p(t);
  } catch (const std::invalid_argument& e) {
    fail(v, e.what());
  }
}

// A map with exactly one key among allowed, e.g. {exponential: 500ms}.
std::pair<std::string, Value> Reader::single(const Value& v, std::vector<std::string_view> allowed,
                                             std::string_view form) const {
  if (!v.node.IsMap() || v.node.size() != 1) fail(v, std::string(form) + ", got " + kindOf(v.node));
  Fields f = fields(v, std::move(allowed));
  return f.entries().front();
}

std::vector<Value> Reader::items(const Value& v, std::string_view example) const {
  if (!v.node.IsSequence()) {
    fail(v, "expected a list, e.g. " + std::string(example) + ", got " + kindOf(v.node));
  }
  std::vector<Value> out;
  for (size_t i = 0; i < v.node.size(); ++i) {
    YAML::Node n = v.node[i];
    out.push_back(Value{n, n.IsNull() ? v.at : n, v.what + "[" + std::to_string(i) + "]"});
  }
  return out;
}

// A number in (lo, hi] when loOpen, else [lo, hi]; hi may be infinite.
double Reader::realIn(const Value& v, double lo, bool loOpen, double hi) const {
  return parse(v, [&](const std::string& t) {
    std::ostringstream form;
    form << "expected a number " << (loOpen ? "> " : ">= ") << lo;
    if (std::isfinite(hi)) form << " and <= " << hi;
    auto x = toReal(trim(t));
    if (!x || *x > hi || *x < lo || (loOpen && *x == lo)) invalid(form.str(), t);
    return *x;
  });
}

bool Reader::boolean(const Value& v) const {
  return parse(v, [](const std::string& t) {
    if (t == "true") return true;
    if (t != "false") invalid("expected true or false", t);
    return false;
  });
}

void Reader::setKnob(const Value& v, std::string_view path, Scenario& s) const {
  const Knob* k = findKnob(path);
  knobAt_.insert_or_assign(std::string(path), v);
  parse(v, [&](const std::string& t) {
    k->set(s, t);
    return 0;
  });
  noteKnobGiven(s, k->path);
}

// Sets every knob in map v; prefix is "runtime." or "machine.".
void Reader::knobs(const Value& v, std::string_view prefix, Scenario& s) const {
  std::vector<std::string_view> keys = knobKeys(prefix);
  const std::vector<std::string_view> groups = knobGroups(prefix);
  keys.insert(keys.end(), groups.begin(), groups.end());
  Fields f = fields(v, keys);
  for (const auto& [key, val] : f.entries()) {
    const std::string path = std::string(prefix) + key;
    if (std::find(groups.begin(), groups.end(), key) != groups.end()) knobs(val, path + ".", s);
    else setKnob(val, path, s);
  }
}

// The scavenger parameters must be ones the policy in effect honours; the error points at the
// parameter (or at runtime.scavenger when the policy itself is unknown).
void Reader::checkScavenger(const Scenario& s, const Value& runtime) const {
  try {
    checkScavengerKnobs(s.runtime);
  } catch (const ScavengerParamError& e) {
    const std::string path = e.param().empty() ? "runtime.scavenger" : "runtime.scavenger_params." + e.param();
    auto at = knobAt_.find(path);
    fail(at != knobAt_.end() ? at->second : runtime, e.what());
  } catch (const GoVersionError& e) {  // GOEXPERIMENT names an experiment the release lacks
    auto at = knobAt_.find("runtime.goexperiment");
    fail(at != knobAt_.end() ? at->second : runtime, e.what());
  }
}

Scenario Reader::scenario(const YAML::Node& doc) {
  Value root{doc, doc, ""};
  if (!doc.IsMap())
    fail(root, "expected a scenario: a map with name, about, runtime, machine, steps");
  Fields f = fields(root, {"name", "about", "runtime", "machine", "sample_every", "seed", "steps"});
  Scenario s;
  s.name = std::filesystem::path(file_).stem().string();
  for (std::string_view key : knobKeys("")) {
    if (auto v = f.get(key)) setKnob(*v, key, s);
  }
  s.about = std::string(trim(text(f.require("about", "about: one line saying what this shows"))));
  if (s.about.empty())
    fail(f.require("about", ""), "expected one line saying what the scenario shows");
  if (auto v = f.get("runtime")) {
    knobs(*v, "runtime.", s);
    checkScavenger(s, *v);
  }
  if (auto v = f.get("machine")) knobs(*v, "machine.", s);
  Value steps = f.require("steps", "steps: [gc]");
  for (const Value& v : items(steps, "steps: [{idle: 1s}, gc]")) s.steps.push_back(step(v));
  if (s.steps.empty()) fail(steps, "expected at least one step");
  return s;
}

// ---------------------------------------------------------------------------------------------
// Distributions

SizeDist fixedSize(Bytes b) {
  SizeDist d;
  d.kind = SizeDist::Kind::Fixed;
  d.fixed = b;
  return d;
}

SizeDist Reader::sizeDist(const Value& v) const {
  if (v.node.IsScalar()) return fixedSize(parse(v, positiveBytes));
  auto [kind, body] = single(v, {"choice", "uniform", "lognormal"}, kSizeDistForm);
  if (kind == "choice") return choice(body);
  if (kind == "uniform") return uniform(body);
  return logNormalSize(body);
}

SizeDist Reader::choice(const Value& v) const {
  SizeDist d;
  d.kind = SizeDist::Kind::Choice;
  for (const Value& item : items(v, "[{size: 32B, weight: 4}, {size: 1KiB, weight: 1}]")) {
    if (item.node.IsScalar()) {
      d.choices.push_back(SizeChoice{parse(item, positiveBytes), 1.0});
      continue;
    }
    Fields f = fields(item, {"size", "weight"});
    SizeChoice c;
    c.size = parse(f.require("size", "{size: 32B, weight: 1}"), positiveBytes);
    if (auto w = f.get("weight")) c.weight = realIn(*w, 0, true, kInfinity);
    d.choices.push_back(c);
  }
  if (d.choices.empty()) fail(v, "expected at least one size to choose from");
  return d;
}

SizeDist Reader::uniform(const Value& v) const {
  SizeDist d;
  d.kind = SizeDist::Kind::Uniform;
  if (v.node.IsSequence()) {
    std::vector<Value> ends = items(v, "[64B, 1KiB]");
    if (ends.size() != 2) fail(v, "expected two sizes [min, max], e.g. [64B, 1KiB]");
    d.min = parse(ends[0], positiveBytes);
    d.max = parse(ends[1], positiveBytes);
  } else {
    Fields f = fields(v, {"min", "max"});
    d.min = parse(f.require("min", "{min: 64B, max: 1KiB}"), positiveBytes);
    d.max = parse(f.require("max", "{min: 64B, max: 1KiB}"), positiveBytes);
  }
  if (d.min > d.max) fail(v, "expected min <= max");
  return d;
}

SizeDist Reader::logNormalSize(const Value& v) const {
  constexpr std::string_view kExample = "{median: 1KiB, sigma: 1.0}";
  SizeDist d;
  d.kind = SizeDist::Kind::LogNormal;
  Fields f = fields(v, {"median", "sigma", "min", "max"});
  d.median = parse(f.require("median", kExample), positiveBytes);
  d.sigma = realIn(f.require("sigma", kExample), 0, false, kInfinity);
  d.min = Bytes(1);
  if (auto m = f.get("min")) d.min = parse(*m, positiveBytes);
  if (auto m = f.get("max")) d.max = parse(*m, positiveBytes);
  if (d.max.v > 0 && d.min > d.max) fail(v, "expected min <= max");
  return d;
}

LifetimeDist zeroOrFixed(Duration d) {
  LifetimeDist l;
  l.kind = d.v == 0 ? LifetimeDist::Kind::Zero : LifetimeDist::Kind::Fixed;
  l.fixed = d;
  return l;
}

LifetimeDist Reader::lifetime(const Value& v) const {
  if (v.node.IsScalar()) {
    return parse(v, [](const std::string& t) {
      if (trim(t) == "forever") return LifetimeDist{};
      try {
        return zeroOrFixed(parseDuration(t));
      } catch (const std::invalid_argument&) {
        invalid(kLifetimeForm, t);
      }
    });
  }
  auto [kind, body] = single(v, {"fixed", "exponential", "lognormal"}, kLifetimeForm);
  if (kind == "fixed") return zeroOrFixed(parse(body, parseDuration));
  LifetimeDist l;
  if (kind == "exponential") {
    l.kind = LifetimeDist::Kind::Exponential;
    l.mean = parse(body, positiveDuration);
    return l;
  }
  constexpr std::string_view kExample = "{median: 1s, sigma: 0.5}";
  Fields f = fields(body, {"median", "sigma"});
  l.kind = LifetimeDist::Kind::LogNormal;
  l.median = parse(f.require("median", kExample), positiveDuration);
  l.sigma = realIn(f.require("sigma", kExample), 0, false, kInfinity);
  return l;
}

// ---------------------------------------------------------------------------------------------
// Steps

struct StepKind {
  std::string_view name;
  std::string_view example;            // shown when the value is missing or wrong
  Step (Reader::*read)(const Value&);  // nullptr: takes no value
  bool nameInside = false;             // its map may hold the step's `name:` (it has no `name` of its own)
};

// Labels the engine gives rows that belong to no step (simulation.cc), and the fidelity check's
// "fall" events: no step may be named so.
constexpr std::array<std::string_view, 4> kRowLabels = {"start", "oom_kill", "interrupted", "fall"};

constexpr std::string_view kStepNames =
    "run, live_set, append, drop, drop_all, idle, gc, free_os_memory, set_gc_percent, "
    "set_memory_limit, goroutines, other_process";

Step bare(std::string_view name) {
  if (name == "gc") return Step{"gc", GcStep{}, {}, ""};
  if (name == "free_os_memory") return Step{"free_os_memory", FreeOsMemoryStep{}, {}, ""};
  DropStep d;
  d.all = true;
  return Step{"drop_all", d, {}, ""};
}

// The entry `key` of map node n, if any (without operator[], which would add it).
std::optional<std::pair<YAML::Node, YAML::Node>> entryOf(const YAML::Node& n, std::string_view key) {
  if (!n.IsMap()) return std::nullopt;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return std::make_pair(YAML::Node(it->first), YAML::Node(it->second));
  }
  return std::nullopt;
}

StepParts Reader::stepParts(const Value& v) const {
  if (v.node.IsScalar()) return StepParts{v.node.Scalar(), v.node, v, std::nullopt};
  const auto outerName = entryOf(v.node, "name");
  const size_t kinds = v.node.IsMap() ? v.node.size() - (outerName ? 1 : 0) : 0;
  if (!v.node.IsMap() || kinds != 1) {
    fail(v, "expected a step: a map with one key (the step kind, one of " +
                std::string(kStepNames) + ") and optionally name, or one of gc, free_os_memory, drop_all; got " +
                (v.node.IsMap() && kinds == 0 ? std::string("only a name") : kindOf(v.node)));
  }
  auto it = v.node.begin();
  if (it->first.IsScalar() && it->first.Scalar() == "name") ++it;
  YAML::Node key = it->first;
  YAML::Node val = it->second;
  std::string name = key.IsScalar() ? key.Scalar() : "";
  std::optional<Value> stepName;
  if (outerName) {
    const auto& [nk, nv] = *outerName;
    stepName = Value{nv, nv.IsNull() ? nk : nv, v.what + ".name"};
  }
  return StepParts{name, key, Value{val, val.IsNull() ? key : val, v.what + "." + name}, stepName};
}

// A step's name: one line of text, not what a row of another kind is labelled (so that
// compare and validate can tell a step's kind from trace.csv), and not a name an earlier step
// of another kind has.
std::string Reader::readStepName(const Value& v, const Step& s) {
  if (!v.node.IsScalar()) fail(v, "expected a step name such as burst, got " + kindOf(v.node));
  const std::string name(trim(v.node.Scalar()));
  if (name.empty()) fail(v, "expected a step name such as burst, got an empty one");
  if (name.find_first_of(",\"\r\n") != std::string::npos)
    fail(v, "a step name is a trace.csv cell: no comma, double quote or line break, got " + inQuotes(name));
  const std::string kind = name.substr(0, name.find(':'));
  const bool kindWord = (", " + std::string(kStepNames) + ",").find(", " + kind + ",") != std::string::npos;
  const bool rowLabel = std::find(kRowLabels.begin(), kRowLabels.end(), name) != kRowLabels.end();
  if ((kindWord || rowLabel) && name != s.label)
    fail(v, inQuotes(name) + " is a label trace.csv gives other steps or rows (compare and validate tell steps' kinds "
                             "by it); choose a name that is not a step kind");
  auto [it, added] = named_.emplace(name, s);
  if (!added && it->second.label != s.label)
    fail(v, "step name " + inQuotes(name) + " already names the " + it->second.label + " step at line " +
                std::to_string(it->second.pos.line) + "; a name stands for one kind of step");
  return name;
}

const std::vector<StepKind>& Reader::stepKinds() {
  static const std::vector<StepKind> kKinds = {
      {"run", "run: {for: 60s, alloc: [{rate: 100MB/s, size: 1KiB, lifetime: 1s}]}", &Reader::run, true},
      {"live_set", "live_set: {name: cache, grow_to: 200MB, size: 1KiB}", &Reader::liveSet},
      {"append", "append: {slice: s, add: 1MiB, times: 10}", &Reader::append, true},
      {"drop", "drop: {set: cache, fraction: 0.5}", &Reader::drop, true},
      {"drop_all", "drop_all", nullptr},
      {"idle", "idle: 6m", &Reader::idle},
      {"gc", "gc", nullptr},
      {"free_os_memory", "free_os_memory", nullptr},
      {"set_gc_percent", "set_gc_percent: 50 (or off)", &Reader::setGcPercent},
      {"set_memory_limit", "set_memory_limit: 1GiB (or off)", &Reader::setMemoryLimit},
      {"goroutines", "goroutines: {count: 1000, stack: 8KiB}", &Reader::goroutines, true},
      {"other_process", "other_process: {name: batch-job, rss: 20GiB} (rss 0 = it exits)", &Reader::otherProcess},
  };
  return kKinds;
}

Step Reader::step(const Value& v) {
  const std::vector<StepKind>& kKinds = stepKinds();
  auto [name, nameAt, body, outerName] = stepParts(v);
  const std::string& stepName = name;  // (a lambda may not capture a structured binding in clang 14)
  auto kind =
      std::find_if(kKinds.begin(), kKinds.end(), [&](const StepKind& k) { return k.name == stepName; });
  if (kind == kKinds.end()) {
    failAt(nameAt, v.what + ": unknown step " + inQuotes(name) + "; expected one of " +
                       std::string(kStepNames));
  }
  bool hasValue = !v.node.IsScalar() && !body.node.IsNull();
  if (!kind->read && hasValue)
    fail(body, "takes no value; write just " + std::string(kind->example));
  if (kind->read && !hasValue) fail(body, "needs a value, e.g. " + std::string(kind->example));
  Step s = kind->read ? (this->*(kind->read))(body) : bare(name);
  YAML::Mark m = v.node.Mark();
  s.pos = SourcePos{m.line + 1, m.column + 1};
  std::optional<Value> innerName;
  if (kind->nameInside) {
    if (const auto e = entryOf(body.node, "name"))
      innerName = Value{e->second, e->second.IsNull() ? e->first : e->second, body.what + ".name"};
  }
  if (outerName && innerName) {
    fail(*innerName, "a second name for this step (it is named beside its kind at line " +
                         std::to_string(outerName->at.Mark().line + 1) + "); give it one name");
  }
  if (outerName) s.name = readStepName(*outerName, s);
  if (innerName) s.name = readStepName(*innerName, s);
  return s;
}

void Reader::hold(const Value& where, const std::string& name, Holder h) {
  auto [it, added] = holders_.emplace(name, h);
  if (!added && it->second != h) {
    fail(where, inQuotes(name) + " is already a " + (h == Holder::Set ? "slice" : "live set") +
                    "; slices and live sets need different names");
  }
}

Step Reader::run(const Value& v) {
  Fields f = fields(v, {"for", "alloc", "name"});  // name: the step's (Reader::step)
  RunStep r;
  r.duration = parse(f.require("for", "run: {for: 60s, alloc: [...]}"), positiveDuration);
  if (auto a = f.get("alloc")) {
    for (const Value& item : items(*a, "alloc: [{rate: 100MB/s, size: 1KiB, lifetime: 1s}]")) {
      r.alloc.push_back(stream(item));
    }
  }
  return Step{"run", r, {}, ""};
}

AllocStream Reader::stream(const Value& v) {
  Fields f = fields(v, {"name", "rate", "size", "lifetime", "set", "touch", "pointers", "total"});
  AllocStream s;
  s.name = "stream" + std::to_string(++streams_);
  if (auto n = f.get("name")) s.name = parse(*n, nonEmpty);
  Value rate = f.require("rate", "rate: 100MB/s");
  s.bytes_per_second = parse(rate, parseRate);
  if (s.bytes_per_second <= 0) fail(rate, std::string(kRateForm) + " (must be greater than 0)");
  s.size = sizeDist(f.require("size", "size: 1KiB"));
  if (auto set = f.get("set")) {
    s.set = parse(*set, nonEmpty);
    hold(*set, s.set, Holder::Set);
    auto l = f.get("lifetime");
    if (l && lifetime(*l).kind != LifetimeDist::Kind::Forever) {
      fail(*l,
           "a stream with a set keeps its objects until dropped; write lifetime: forever or "
           "leave it out");
    }
  } else {
    s.lifetime = lifetime(f.require("lifetime", "lifetime: {exponential: 500ms} (or set: NAME)"));
  }
  if (auto t = f.get("touch")) s.touch = realIn(*t, 0, false, 1);
  s.pointers = f.get("pointers") ? boolean(*f.get("pointers")) : pointersByDefault(s.size);
  if (auto t = f.get("total")) s.total = parse(*t, positiveBytes);
  YAML::Mark m = v.node.Mark();
  s.pos = SourcePos{m.line + 1, m.column + 1};
  return s;
}

Step Reader::liveSet(const Value& v) {
  constexpr std::string_view kExample = "live_set: {name: cache, grow_to: 200MB, size: 1KiB}";
  Fields f = fields(v, {"name", "grow_to", "size", "over", "touch", "pointers"});
  LiveSetStep l;
  Value name = f.require("name", kExample);
  l.name = parse(name, nonEmpty);
  hold(name, l.name, Holder::Set);
  l.grow_to = parse(f.require("grow_to", kExample), positiveBytes);
  l.size = sizeDist(f.require("size", kExample));
  if (auto o = f.get("over")) l.over = parse(*o, parseDuration);
  if (auto t = f.get("touch")) l.touch = realIn(*t, 0, false, 1);
  l.pointers = f.get("pointers") ? boolean(*f.get("pointers")) : pointersByDefault(l.size);
  return Step{"live_set:" + l.name, l, {}, ""};
}

Step Reader::append(const Value& v) {
  constexpr std::string_view kExample = "append: {slice: s, add: 1MiB, times: 10}";
  Fields f = fields(v, {"slice", "add", "times", "elem", "pointers", "name"});  // name: the step's
  AppendStep a;
  Value slice = f.require("slice", kExample);
  a.slice = parse(slice, nonEmpty);
  hold(slice, a.slice, Holder::Slice);
  a.add = parse(f.require("add", kExample), positiveBytes);
  if (auto t = f.get("times")) {
    a.times = parse(*t, [](const std::string& s) {
      return integerAtLeast(s, 1, "expected a whole number of appends >= 1");
    });
  }
  if (auto e = f.get("elem")) a.elem = parse(*e, positiveBytes);
  if (auto p = f.get("pointers")) a.pointers = boolean(*p);
  return Step{"append:" + a.slice, a, {}, ""};
}

Step Reader::drop(const Value& v) {
  DropStep d;
  std::optional<Value> set;
  if (v.node.IsScalar()) {
    if (trim(v.node.Scalar()) == "all") return bare("drop_all");
    set = v;
  } else {
    Fields f = fields(v, {"set", "fraction", "all", "name"});  // name: the step's
    auto all = f.get("all");
    if (all && boolean(*all)) {
      if (f.has("set") || f.has("fraction")) fail(v, "drop: {all: true} takes no set or fraction");
      return bare("drop_all");
    }
    set = f.require("set", "drop: {set: cache, fraction: 0.5}");
    if (auto fr = f.get("fraction")) d.fraction = realIn(*fr, 0, true, 1);
  }
  d.set = parse(*set, nonEmpty);
  auto h = holders_.find(d.set);
  if (h == holders_.end()) {
    fail(*set, "no earlier step creates " + inQuotes(d.set) +
                   "; expected the name of a live_set, an alloc stream's set or an append slice "
                   "(or drop_all)");
  }
  if (h->second == Holder::Slice && d.fraction < 1) {
    fail(v, inQuotes(d.set) + " is a slice (one object); expected fraction 1");
  }
  return Step{"drop:" + d.set, d, {}, ""};
}

Step Reader::idle(const Value& v) { return Step{"idle", IdleStep{parse(v, positiveDuration)}, {}, ""}; }

Step Reader::setGcPercent(const Value& v) {
  SetGcPercentStep g{parse(v, gcPercent)};
  return Step{"set_gc_percent:" + std::string(trim(text(v))), g, {}, ""};
}

Step Reader::setMemoryLimit(const Value& v) {
  SetMemoryLimitStep m{parse(v, bytesOrOff)};
  return Step{"set_memory_limit:" + std::string(trim(text(v))), m, {}, ""};
}

Step Reader::goroutines(const Value& v) {
  auto count = [](const std::string& t) {
    return integerAtLeast(t, 0, "expected a whole number of goroutines >= 0 such as 1000");
  };
  GoroutinesStep g;
  if (v.node.IsScalar()) {
    g.count = parse(v, count);
  } else {
    Fields f = fields(v, {"count", "stack", "name"});  // name: the step's
    g.count = parse(f.require("count", "goroutines: {count: 1000, stack: 8KiB}"), count);
    if (auto s = f.get("stack")) g.stack = parse(*s, positiveBytes);
  }
  return Step{"goroutines:" + std::to_string(g.count), g, {}, ""};
}

Step Reader::otherProcess(const Value& v) {
  auto rss = [](const std::string& t) {
    const Bytes b = parseBytes(t);
    if (b.v < 0) invalid(kSizeForm, t, "must not be negative");
    return b;
  };
  OtherProcessStep o;
  std::string rssText;
  if (v.node.IsScalar()) {
    o.rss = parse(v, rss);
    rssText = std::string(trim(text(v)));
  } else {
    constexpr std::string_view kExample = "other_process: {name: batch-job, rss: 20GiB}";
    Fields f = fields(v, {"name", "rss"});
    if (auto n = f.get("name")) o.name = parse(*n, nonEmpty);
    const Value r = f.require("rss", kExample);
    o.rss = parse(r, rss);
    rssText = std::string(trim(text(r)));
  }
  return Step{"other_process:" + o.name + "=" + rssText, o, {}, ""};
}

// ---------------------------------------------------------------------------------------------
// --env

constexpr std::array<std::string_view, 5> kEnvNames = {"GOGC", "GOMEMLIMIT", "GODEBUG",
                                                       "GOMAXPROCS", "GOEXPERIMENT"};

[[noreturn]] void envError(const std::string& msg) { throw ScenarioError("--env", 0, 0, msg); }

// Go's GOMEMLIMIT syntax (runtime.parseByteCount): digits with an optional B/KiB/MiB/GiB/TiB.
Bytes goByteCount(const std::string& text) {
  static const std::array<std::pair<std::string_view, int>, 5> kSuffixes = {
      {{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}};
  std::string_view t = text;
  int shift = 0;
  for (auto [suffix, s] : kSuffixes) {
    if (t.ends_with(suffix)) {
      t.remove_suffix(suffix.size());
      shift = s;
      break;
    }
  }
  constexpr std::string_view kForm =
      "expected a byte count such as 1073741824, 512MiB or 1GiB, or off";
  bool digits = !t.empty() && std::all_of(t.begin(), t.end(), isDigit);
  auto n = digits ? toInt(t) : std::nullopt;
  if (!n) invalid(kForm, text);
  int64_t out = 0;
  if (__builtin_mul_overflow(*n, int64_t{1} << shift, &out)) invalid(kForm, text, "too large");
  return Bytes(out);
}

void setEnv(Scenario& s, std::string_view name, const std::string& value) {
  if (name == "GOGC") {
    s.runtime.gogc = gcPercent(value);
  } else if (name == "GOMEMLIMIT") {
    s.runtime.memory_limit =
        value == "off" ? std::nullopt : std::optional<Bytes>(goByteCount(value));
  } else if (name == "GOMAXPROCS") {
    s.runtime.gomaxprocs = gomaxprocs(value);
  } else if (name == "GOEXPERIMENT") {
    s.runtime.goexperiment = goExperiment(value);
    checkScavengerKnobs(s.runtime);
  } else {
    s.runtime.godebug += (s.runtime.godebug.empty() ? "" : ",") + value;
  }
}

// The known NAME of "NAME=value", or empty.
std::string_view envName(std::string_view piece) {
  for (std::string_view n : kEnvNames) {
    if (piece.size() > n.size() && piece.starts_with(n) && piece[n.size()] == '=') return n;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Unit parsers (public)

}  // namespace

int64_t gomaxprocsOf(const Scenario& s) {
  if (s.runtime.gomaxprocs) return *s.runtime.gomaxprocs;
  int64_t procs = s.machine.cpus;
  const bool containerAware = goReleaseOf(s.runtime).containerAwareGomaxprocs &&
                              godebugValue(s.runtime.godebug, "containermaxprocs").value_or(1) != 0;
  if (containerAware && s.machine.cpu_limit) {
    // cgroup_linux.go adjustCgroupGOMAXPROCS: limit = max(ceil(quota/period), 2).
    const int64_t limit = std::max<int64_t>(2, static_cast<int64_t>(std::ceil(*s.machine.cpu_limit)));
    procs = std::min(procs, limit);
  }
  return procs;
}

const GoRelease& goReleaseOf(const RuntimeKnobs& k) {
  return goRelease(k.go_version.empty() ? kNewestGo : std::string_view(k.go_version));
}

std::string goVersionText(const RuntimeKnobs& k) {
  return k.go_version.empty() ? std::string(kNewestGo) : k.go_version;
}

Bytes parseBytes(const std::string& text) {
  auto [d, unit] = splitBytes(text, kSizeForm);
  auto b = scaled(d, unit);
  if (!b) invalid(kSizeForm, text, "too large");
  return Bytes(*b);
}

Duration parseDuration(const std::string& text) {
  std::string_view t = trim(text);
  if (t.empty()) invalid(kDurationForm, text);
  if (t[0] == '-') invalid(kDurationForm, text, "must not be negative");
  if (t == "0") return Duration(0);
  int64_t total = 0;
  while (!t.empty()) {
    if (__builtin_add_overflow(total, durationTerm(t, text), &total)) {
      invalid(kDurationForm, text, "too long");
    }
  }
  return Duration(total);
}

double parseRate(const std::string& text) {
  std::string_view t = trim(text);
  size_t slash = t.rfind('/');
  if (slash == std::string_view::npos) invalid(kRateForm, text);
  std::string_view per = trim(t.substr(slash + 1));
  double perSecond = per == "s" ? 1 : per == "ms" ? 1000 : 0;
  if (perSecond == 0) invalid(kRateForm, text, "per s or per ms");
  auto [d, unit] = splitBytes(t.substr(0, slash), kRateForm);
  return d.value * static_cast<double>(unit) * perSecond;
}

Scenario parseScenario(const std::string& text, const std::string& path) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(path, e.mark.line + 1, e.mark.column + 1, "malformed YAML: " + e.msg);
  }
  Reader reader(path);
  Scenario s;
  try {
    s = reader.scenario(doc);
  } catch (const YAML::Exception& e) {  // not expected: the reader checks node kinds first
    throw ScenarioError(path, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  s.file = path;
  return s;
}

Scenario loadScenario(const std::string& path, int64_t maxFileBytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw ScenarioError(path, 0, 0,
                        std::string("cannot read scenario file: ") + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size > maxFileBytes)
    throw ScenarioError(path, 1, 1,
                        "the file is " + std::to_string(size) + " bytes, more than the " + std::to_string(maxFileBytes) +
                            " a scenario may have (--max-scenario-size SIZE allows larger files)");
  in.seekg(0);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path, 0, 0, "cannot read scenario file");
  return parseScenario(text.str(), path);
}

void applyEnv(Scenario& s, const std::string& env) {
  std::string_view rest = env;
  std::string_view last;  // name of the previous assignment
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view piece = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (piece.empty()) continue;
    std::string_view name = envName(piece);
    if (name.empty() && last != "GODEBUG") {
      envError("expected NAME=VALUE with NAME one of GOGC, GOMEMLIMIT, GODEBUG, GOMAXPROCS, GOEXPERIMENT, got " +
               inQuotes(piece));
    }
    if (name.empty()) {  // a continuation of the previous GODEBUG value
      s.runtime.godebug += "," + std::string(piece);
      continue;
    }
    try {
      setEnv(s, name, std::string(piece.substr(name.size() + 1)));
    } catch (const std::invalid_argument& e) {
      envError(std::string(name) + ": " + e.what());
    }
    last = name;
  }
}

std::vector<KnobName> scenarioKnobs() {
  std::vector<KnobName> out;
  for (const Knob& k : knobs()) out.push_back(KnobName{std::string(k.path), std::string(k.alias)});
  return out;
}

std::vector<std::string> scenarioStepKinds() {
  std::vector<std::string> out;
  for (const StepKind& k : Reader::stepKinds()) out.emplace_back(k.name);
  return out;
}

std::vector<std::string> knobsRealGoCannotSet(const Scenario& s) {
  std::vector<std::string> out;
  for (const std::string& path : s.knobs_given) {
    const Knob* k = findKnob(path);
    if (k && k->realGo == KnobRealGo::Refused) out.push_back(path + ": " + std::string(k->refusal));
  }
  return out;
}

void applySet(Scenario& s, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos) {
    throw ScenarioError("--set", 0, 0, "expected key=value, got " + inQuotes(assignment));
  }
  std::string key(trim(std::string_view(assignment).substr(0, eq)));
  std::string value(trim(std::string_view(assignment).substr(eq + 1)));
  const Knob* k = findKnob(key);
  if (!k) {
    std::vector<std::string> names;
    for (const Knob& kb : knobs()) {
      names.push_back(std::string(kb.path) +
                      (kb.alias.empty() ? "" : " (" + std::string(kb.alias) + ")"));
    }
    std::vector<std::string_view> views(names.begin(), names.end());
    throw ScenarioError("--set", 0, 0,
                        "unknown key " + inQuotes(key) + "; expected one of " + joined(views));
  }
  const RuntimeKnobs before = s.runtime;
  try {
    k->set(s, value);
    noteKnobGiven(s, k->path);
    if (k->path == "runtime.go" || k->path == "runtime.goexperiment" || k->path.starts_with("runtime.scavenger"))
      checkScavengerKnobs(s.runtime);
  } catch (const std::invalid_argument& e) {
    s.runtime = before;  // a rejected --set changes nothing
    throw ScenarioError("--set", 0, 0, std::string(k->path) + ": " + e.what());
  }
}

}  // namespace gomemsim
