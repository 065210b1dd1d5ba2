// Tests for the scenario reader: unit parsing, every step and distribution form, the error
// positions and messages, the --env / --set overrides, and every file in scenarios/.
#include "scenario/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gomemsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// Units

TEST(ParseBytes, AllUnits) {
  EXPECT_EQ(parseBytes("4096"), Bytes(4096));
  EXPECT_EQ(parseBytes("0"), Bytes(0));
  EXPECT_EQ(parseBytes("64B"), Bytes(64));
  EXPECT_EQ(parseBytes("2KB"), Bytes(2000));
  EXPECT_EQ(parseBytes("100MB"), Bytes(100'000'000));
  EXPECT_EQ(parseBytes("3GB"), Bytes(3'000'000'000));
  EXPECT_EQ(parseBytes("1TB"), Bytes(1'000'000'000'000));
  EXPECT_EQ(parseBytes("32KiB"), KiB(32));
  EXPECT_EQ(parseBytes("5MiB"), MiB(5));
  EXPECT_EQ(parseBytes("24GiB"), GiB(24));
  EXPECT_EQ(parseBytes("2TiB"), Bytes(int64_t{2} << 40));
}

TEST(ParseBytes, DecimalsRoundToNearestByte) {
  EXPECT_EQ(parseBytes("1.5GiB"), Bytes(int64_t{3} << 29));
  EXPECT_EQ(parseBytes("0.5KiB"), Bytes(512));
  EXPECT_EQ(parseBytes("1.0001KB"), Bytes(1000));
  EXPECT_EQ(parseBytes("1.6B"), Bytes(2));
  EXPECT_EQ(parseBytes(".5KB"), Bytes(500));
  EXPECT_EQ(parseBytes(" 8 MiB "), MiB(8));
}

TEST(ParseBytes, RejectsBadForms) {
  for (const char* bad : {"", "-1B", "-5MiB", "1kb", "1Kb", "1KIB", "MiB", "1.2.3B", "1e3",
                          "1 GiB x", "ten", "99999999999TiB", "1/s"}) {
    try {
      parseBytes(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("expected a size such as 64B, 32KiB, 1.5GiB")) << bad;
    }
  }
  try {
    parseBytes("-1B");
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("negative"));
  }
}

TEST(ParseDuration, AllUnits) {
  EXPECT_EQ(parseDuration("0"), Duration(0));
  EXPECT_EQ(parseDuration("0s"), Duration(0));
  EXPECT_EQ(parseDuration("7ns"), Duration(7));
  EXPECT_EQ(parseDuration("10us"), Microseconds(10));
  EXPECT_EQ(parseDuration("10\xC2\xB5s"), Microseconds(10));
  EXPECT_EQ(parseDuration("10\xCE\xBCs"), Microseconds(10));
  EXPECT_EQ(parseDuration("250ms"), Milliseconds(250));
  EXPECT_EQ(parseDuration("1.5s"), Milliseconds(1500));
  EXPECT_EQ(parseDuration("5m"), Seconds(300));
  EXPECT_EQ(parseDuration("2h"), Seconds(7200));
  EXPECT_EQ(parseDuration("1h30m"), Seconds(5400));
  EXPECT_EQ(parseDuration("0.1ns"), Duration(0));
}

TEST(ParseDuration, RejectsBadForms) {
  for (const char* bad :
       {"", "5", "1.5", "-1s", "1d", "1 sec", "ms", "1s5", "1.2.3s", "9999999999h"}) {
    try {
      parseDuration(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("expected a duration such as 250ms")) << bad;
    }
  }
  try {
    parseDuration("5");
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs a unit"));
  }
}

TEST(ParseRate, Forms) {
  EXPECT_DOUBLE_EQ(parseRate("100MB/s"), 100e6);
  EXPECT_DOUBLE_EQ(parseRate("1GiB/s"), 1073741824.0);
  EXPECT_DOUBLE_EQ(parseRate("1KB/ms"), 1e6);
  EXPECT_DOUBLE_EQ(parseRate("1.5B/s"), 1.5);
  EXPECT_DOUBLE_EQ(parseRate("4096/s"), 4096.0);
  EXPECT_DOUBLE_EQ(parseRate("0B/s"), 0.0);
  for (const char* bad : {"100MB", "100MB/h", "-1MB/s", "fast/s", "/s", "1XB/s"}) {
    try {
      parseRate(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("expected a rate such as 100MB/s")) << bad;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Whole files

const char* const kFullExample = R"(name: steady-service
about: one line of text
runtime: {go: "1.19", gogc: 100, memory_limit: off, gomaxprocs: 2, scavenger: auto, pacer: auto, madvise: auto, godebug: "madvdontneed=1"}
machine: {memory: 24GiB, cgroup_limit: 4GiB, baseline_rss: 8MiB}
sample_every: 100ms
seed: 42
steps:
  - live_set: {name: cache, grow_to: 200MB, size: {choice: [{size: 32B, weight: 1}, {size: 1KiB, weight: 1}]}, over: 2s, touch: 1.0, pointers: false}
  - run:
      for: 60s
      alloc:
        - {name: requests, rate: 100MB/s, size: {choice: [{size: 32B, weight: 4}, {size: 256B, weight: 2}]}, lifetime: {exponential: 500ms}, touch: 0.5, pointers: false, total: 1GB}
        - {rate: 200MB/s, size: 4KiB, lifetime: forever, set: burst}
  - append: {slice: s, add: 100MiB, times: 100, elem: 1B}
  - drop: {set: cache, fraction: 0.9}
  - drop: {set: burst}
  - drop_all
  - gc
  - free_os_memory
  - idle: 6m
  - set_gc_percent: 50        # or off
  - set_memory_limit: 1GiB    # or off
  - goroutines: {count: 1000, stack: 8KiB}
)";

TEST(ParseScenario, FullExample) {
  Scenario s = parseScenario(kFullExample, "full.yaml");
  EXPECT_EQ(s.file, "full.yaml");
  EXPECT_EQ(s.name, "steady-service");
  EXPECT_EQ(s.about, "one line of text");
  EXPECT_EQ(s.runtime.go_version, "1.19");
  EXPECT_EQ(s.runtime.gogc, 100);
  EXPECT_FALSE(s.runtime.memory_limit.has_value());
  EXPECT_EQ(gomaxprocsOf(s), 2);
  EXPECT_EQ(s.runtime.scavenger, "auto");
  EXPECT_EQ(s.runtime.pacer, "auto");
  EXPECT_EQ(s.runtime.madvise, "auto");
  EXPECT_EQ(s.runtime.godebug, "madvdontneed=1");
  EXPECT_EQ(s.machine.memory, GiB(24));
  EXPECT_EQ(s.machine.cgroup_limit, GiB(4));
  EXPECT_EQ(s.machine.baseline_rss, MiB(8));
  EXPECT_EQ(s.sample_every, Milliseconds(100));
  EXPECT_EQ(s.seed, 42u);
  ASSERT_EQ(s.steps.size(), 12u);

  const auto& live = std::get<LiveSetStep>(s.steps[0].body);
  EXPECT_EQ(live.name, "cache");
  EXPECT_EQ(live.grow_to, Bytes(200'000'000));
  EXPECT_EQ(live.size.kind, SizeDist::Kind::Choice);
  ASSERT_EQ(live.size.choices.size(), 2u);
  EXPECT_EQ(live.size.choices[1].size, KiB(1));
  EXPECT_EQ(live.over, Seconds(2));
  EXPECT_DOUBLE_EQ(live.touch, 1.0);
  EXPECT_FALSE(live.pointers);
  EXPECT_EQ(s.steps[0].pos.line, 8);
  EXPECT_EQ(s.steps[0].pos.column, 5);

  const auto& run = std::get<RunStep>(s.steps[1].body);
  EXPECT_EQ(run.duration, Seconds(60));
  ASSERT_EQ(run.alloc.size(), 2u);
  const AllocStream& req = run.alloc[0];
  EXPECT_EQ(req.name, "requests");
  EXPECT_DOUBLE_EQ(req.bytes_per_second, 100e6);
  EXPECT_EQ(req.size.kind, SizeDist::Kind::Choice);
  EXPECT_DOUBLE_EQ(req.size.choices[0].weight, 4);
  EXPECT_EQ(req.size.choices[1].size, Bytes(256));
  EXPECT_EQ(req.lifetime.kind, LifetimeDist::Kind::Exponential);
  EXPECT_EQ(req.lifetime.mean, Milliseconds(500));
  EXPECT_DOUBLE_EQ(req.touch, 0.5);
  EXPECT_EQ(req.total, Bytes(1'000'000'000));
  EXPECT_EQ(req.pos.line, 12);
  const AllocStream& burst = run.alloc[1];
  EXPECT_EQ(burst.name, "stream2");
  EXPECT_EQ(burst.set, "burst");
  EXPECT_EQ(burst.size.kind, SizeDist::Kind::Fixed);
  EXPECT_EQ(burst.size.fixed, KiB(4));
  EXPECT_EQ(burst.lifetime.kind, LifetimeDist::Kind::Forever);
  EXPECT_DOUBLE_EQ(burst.touch, 1.0);
  EXPECT_FALSE(burst.total.has_value());

  const auto& app = std::get<AppendStep>(s.steps[2].body);
  EXPECT_EQ(app.slice, "s");
  EXPECT_EQ(app.add, MiB(100));
  EXPECT_EQ(app.times, 100);
  EXPECT_EQ(app.elem, Bytes(1));

  const auto& drop = std::get<DropStep>(s.steps[3].body);
  EXPECT_EQ(drop.set, "cache");
  EXPECT_DOUBLE_EQ(drop.fraction, 0.9);
  EXPECT_FALSE(drop.all);
  EXPECT_DOUBLE_EQ(std::get<DropStep>(s.steps[4].body).fraction, 1.0);
  EXPECT_TRUE(std::get<DropStep>(s.steps[5].body).all);
  EXPECT_TRUE(std::holds_alternative<GcStep>(s.steps[6].body));
  EXPECT_TRUE(std::holds_alternative<FreeOsMemoryStep>(s.steps[7].body));
  EXPECT_EQ(std::get<IdleStep>(s.steps[8].body).duration, Seconds(360));
  EXPECT_EQ(std::get<SetGcPercentStep>(s.steps[9].body).percent, 50);
  EXPECT_EQ(std::get<SetMemoryLimitStep>(s.steps[10].body).limit, GiB(1));
  const auto& g = std::get<GoroutinesStep>(s.steps[11].body);
  EXPECT_EQ(g.count, 1000);
  EXPECT_EQ(g.stack, KiB(8));
  EXPECT_EQ(s.steps[11].pos.line, 23);
}

TEST(ParseScenario, StepLabels) {
  Scenario s = parseScenario(kFullExample, "full.yaml");
  std::vector<std::string> labels;
  for (const Step& st : s.steps) labels.push_back(st.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"live_set:cache", "run", "append:s", "drop:cache",
                                              "drop:burst", "drop_all", "gc", "free_os_memory",
                                              "idle", "set_gc_percent:50", "set_memory_limit:1GiB",
                                              "goroutines:1000"}));
}

TEST(ParseScenario, OffAndAlternativeStepForms) {
  Scenario s = parseScenario(R"(about: x
steps:
  - set_gc_percent: off
  - set_memory_limit: off
  - goroutines: 10
  - append: {slice: buf, add: 1KiB}
  - drop: buf
  - drop: all
  - drop: {all: true}
  - gc:
)",
                             "dir/alt.yaml");
  ASSERT_EQ(s.steps.size(), 8u);
  EXPECT_EQ(s.name, "alt");  // defaults to the file's stem
  EXPECT_EQ(s.steps[0].label, "set_gc_percent:off");
  EXPECT_EQ(std::get<SetGcPercentStep>(s.steps[0].body).percent, -1);
  EXPECT_EQ(s.steps[1].label, "set_memory_limit:off");
  EXPECT_FALSE(std::get<SetMemoryLimitStep>(s.steps[1].body).limit.has_value());
  EXPECT_EQ(s.steps[2].label, "goroutines:10");
  EXPECT_EQ(std::get<GoroutinesStep>(s.steps[2].body).stack, KiB(8));
  const auto& a = std::get<AppendStep>(s.steps[3].body);
  EXPECT_EQ(a.times, 1);
  EXPECT_EQ(a.elem, Bytes(1));
  EXPECT_EQ(s.steps[4].label, "drop:buf");
  EXPECT_EQ(s.steps[5].label, "drop_all");
  EXPECT_TRUE(std::get<DropStep>(s.steps[6].body).all);
  EXPECT_EQ(s.steps[7].label, "gc");
}

TEST(ParseScenario, Defaults) {
  Scenario s = parseScenario("name: d\nabout: x\nsteps: [gc]\n", "d.yaml");
  EXPECT_EQ(s.runtime.go_version, "") << "no go: given";
  EXPECT_EQ(goVersionText(s.runtime), "1.27") << "runs the newest modelled release";
  EXPECT_EQ(goReleaseOf(s.runtime).minor, 27);
  EXPECT_EQ(s.runtime.gogc, 100);
  EXPECT_FALSE(s.runtime.memory_limit.has_value());
  EXPECT_EQ(gomaxprocsOf(s), 2);
  EXPECT_EQ(s.runtime.madvise, "auto");
  EXPECT_EQ(s.runtime.godebug, "");
  EXPECT_EQ(s.machine.memory, GiB(24));
  EXPECT_FALSE(s.machine.cgroup_limit.has_value());
  EXPECT_EQ(s.machine.baseline_rss, Bytes(0));
  EXPECT_EQ(s.sample_every, Milliseconds(100));
  EXPECT_EQ(s.seed, 1u);
}

// Parses one alloc stream written as `text` inside a run step.
AllocStream oneStream(const std::string& text) {
  Scenario s =
      parseScenario("about: x\nsteps:\n  - run: {for: 1s, alloc: [" + text + "]}\n", "s.yaml");
  return std::get<RunStep>(s.steps.at(0).body).alloc.at(0);
}

TEST(ParseScenario, SizeDistributions) {
  SizeDist u = oneStream("{rate: 1MB/s, size: {uniform: [64B, 1KiB]}, lifetime: 1s}").size;
  EXPECT_EQ(u.kind, SizeDist::Kind::Uniform);
  EXPECT_EQ(u.min, Bytes(64));
  EXPECT_EQ(u.max, KiB(1));
  u = oneStream("{rate: 1MB/s, size: {uniform: {min: 8B, max: 16B}}, lifetime: 1s}").size;
  EXPECT_EQ(u.min, Bytes(8));
  EXPECT_EQ(u.max, Bytes(16));

  SizeDist l = oneStream(
                   "{rate: 1MB/s, size: {lognormal: {median: 1KiB, sigma: 1.0, min: 8B, max: "
                   "64KiB}}, lifetime: 1s}")
                   .size;
  EXPECT_EQ(l.kind, SizeDist::Kind::LogNormal);
  EXPECT_EQ(l.median, KiB(1));
  EXPECT_DOUBLE_EQ(l.sigma, 1.0);
  EXPECT_EQ(l.min, Bytes(8));
  EXPECT_EQ(l.max, KiB(64));
  l = oneStream("{rate: 1MB/s, size: {lognormal: {median: 100B, sigma: 0.5}}, lifetime: 1s}").size;
  EXPECT_EQ(l.min, Bytes(1));
  EXPECT_EQ(l.max, Bytes(0));

  SizeDist c = oneStream("{rate: 1MB/s, size: {choice: [16B, {size: 1KiB}]}, lifetime: 1s}").size;
  ASSERT_EQ(c.choices.size(), 2u);
  EXPECT_DOUBLE_EQ(c.choices[0].weight, 1.0);
  EXPECT_DOUBLE_EQ(c.choices[1].weight, 1.0);
}

TEST(ParseScenario, LifetimeDistributions) {
  auto life = [](const std::string& l) {
    return oneStream("{rate: 1MB/s, size: 8B, lifetime: " + l + "}").lifetime;
  };
  EXPECT_EQ(life("0").kind, LifetimeDist::Kind::Zero);
  EXPECT_EQ(life("0s").kind, LifetimeDist::Kind::Zero);
  LifetimeDist f = life("2s");
  EXPECT_EQ(f.kind, LifetimeDist::Kind::Fixed);
  EXPECT_EQ(f.fixed, Seconds(2));
  f = life("{fixed: 250ms}");
  EXPECT_EQ(f.kind, LifetimeDist::Kind::Fixed);
  EXPECT_EQ(f.fixed, Milliseconds(250));
  EXPECT_EQ(life("forever").kind, LifetimeDist::Kind::Forever);
  LifetimeDist e = life("{exponential: 500ms}");
  EXPECT_EQ(e.kind, LifetimeDist::Kind::Exponential);
  EXPECT_EQ(e.mean, Milliseconds(500));
  LifetimeDist n = life("{lognormal: {median: 1s, sigma: 0.5}}");
  EXPECT_EQ(n.kind, LifetimeDist::Kind::LogNormal);
  EXPECT_EQ(n.median, Seconds(1));
  EXPECT_DOUBLE_EQ(n.sigma, 0.5);

  AllocStream held = oneStream("{rate: 1MB/s, size: 8B, set: keep}");
  EXPECT_EQ(held.lifetime.kind, LifetimeDist::Kind::Forever);
  EXPECT_EQ(held.name, "stream1");
}

// ---------------------------------------------------------------------------------------------
// Errors: position and message

struct BadCase {
  const char* yaml;
  int line;
  const char* mentions;
};

void expectError(const BadCase& c) {
  try {
    parseScenario(c.yaml, "bad.yaml");
    ADD_FAILURE() << "accepted:\n" << c.yaml;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), "bad.yaml");
    EXPECT_EQ(e.line(), c.line) << e.what() << "\n" << c.yaml;
    EXPECT_GE(e.column(), 1) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(c.mentions)) << c.yaml;
    EXPECT_THAT(e.what(), HasSubstr("bad.yaml:" + std::to_string(c.line) + ":"));
  }
}

// The knobs a scenario gives are recorded (file and --set, once each, in order), and
// knobsRealGoCannotSet lists exactly those the knob table marks as real Go having no setting.
TEST(ScenarioKnobs, GivenKnobsAndWhatRealGoCannotBeTold) {
  Scenario s = parseScenario(R"(name: k
about: x
runtime: {go: "1.19", gogc: 50, scavenger_params: {idle_threshold: 5m}}
machine: {memory: 8GiB, thp: madvise}
steps:
  - idle: 1s
)",
                             "k.yaml");
  EXPECT_EQ(s.knobs_given, (std::vector<std::string>{"name", "runtime.go", "runtime.gogc",
                                                       "runtime.scavenger_params.idle_threshold", "machine.memory",
                                                       "machine.thp"}));
  applySet(s, "gogc=80");
  applySet(s, "machine.baseline_rss=3MiB");
  EXPECT_EQ(s.knobs_given.size(), 7u) << "gogc once, by its path";
  const std::vector<std::string> refused = knobsRealGoCannotSet(s);
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_TRUE(refused[0].starts_with("runtime.scavenger_params.idle_threshold: "));
  EXPECT_TRUE(refused[1].starts_with("machine.memory: "));
  EXPECT_TRUE(refused[2].starts_with("machine.baseline_rss: "));
  EXPECT_TRUE(knobsRealGoCannotSet(parseScenario("name: k\nabout: x\nsteps:\n  - idle: 1s\n", "k.yaml")).empty());
}

TEST(ScenarioErrors, StructureAndKeys) {
  for (const BadCase& c : std::vector<BadCase>{
           {"about: x\nsteps: [gc]\nbogus: 1\n", 3, "expected one of name, about, runtime"},
           {"about: x\nruntime: {gogc: 100, gcpercent: 5}\nsteps: [gc]\n", 2,
            "expected one of go, gogc, memory_limit, gomaxprocs, scavenger, goexperiment, pacer, madvise, "
            "godebug"},
           {"about: x\nmachine:\n  ram: 1GiB\nsteps: [gc]\n", 3,
            "expected one of memory, cgroup_limit, cpus, cpu_limit, cpu_speed, thp, baseline_rss"},
           {"name: a\nsteps: [gc]\n", 1, "missing 'about'"},
           {"about: x\n", 1, "missing 'steps'"},
           {"about: x\nsteps: []\n", 2, "at least one step"},
           {"about: x\nsteps:\n  - gc\n  - jump: 3\n", 4,
            "unknown step 'jump'; expected one of run"},
           {"about: x\nsteps:\n  - gc\n  - dance\n", 4, "unknown step 'dance'"},
           {"about: x\nsteps:\n  - {gc: , idle: 1s}\n", 3, "a map with one key"},
           {"about: x\nsteps:\n  - idle\n", 3, "needs a value, e.g. idle: 6m"},
           {"about: x\nsteps:\n  - gc: 5\n", 3, "takes no value"},
           {"about: x\nsteps:\n  - run: {alloc: []}\n", 3, "missing 'for'"},
           {"about: x\nsteps:\n  - run:\n      for: 1s\n      allocs: []\n", 5,
            "expected one of for, alloc"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, lifetime: 1s, "
            "color: red}]}\n",
            3, "expected one of name, rate, size, lifetime, set, touch, pointers, total"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B}]}\n", 3,
            "missing 'lifetime'"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, set: a, "
            "lifetime: 1s}]}\n",
            3, "lifetime: forever"},
           {"about: x\nabout: y\nsteps: [gc]\n", 2, "duplicate key 'about'"},
           {"- a\n- b\n", 1, "expected a scenario"},
           {"", 1, "expected a scenario"},
       }) {
    expectError(c);
  }
}

// A step's `name:` beside its kind or inside its own map; the label (its kind) stays.
TEST(StepNames, BothSpellingsAndTheLabelStays) {
  Scenario s = parseScenario(R"(about: x
steps:
  - name: warm up
    run: {for: 1s}
  - run: {name: burst, for: 2s}
  - run: {for: 1s}
  - live_set: {name: cache, grow_to: 1MiB, size: 1KiB}
  - {drop: {set: cache, name: let go}}
  - goroutines: {count: 10, name: workers}
  - name: final gc
    gc:
  - name: settle
    idle: 1m
  - append: {slice: s, add: 1KiB, name: grow}
  - drop: {all: true, name: everything}
)",
                             "n.yaml");
  ASSERT_EQ(s.steps.size(), 10u);
  std::vector<std::string> names, labels, shown;
  for (const Step& st : s.steps) {
    names.push_back(st.name);
    labels.push_back(st.label);
    shown.push_back(st.shown());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"warm up", "burst", "", "", "let go", "workers", "final gc", "settle",
                                             "grow", "everything"}));
  EXPECT_EQ(labels, (std::vector<std::string>{"run", "run", "run", "live_set:cache", "drop:cache", "goroutines:10",
                                              "gc", "idle", "append:s", "drop_all"}));
  EXPECT_EQ(shown[2], "run") << "an unnamed step shows its label";
  EXPECT_EQ(shown[3], "live_set:cache") << "a live set's name is the set's, not the step's";
  EXPECT_EQ(shown[0], "warm up");
  EXPECT_EQ(std::get<RunStep>(s.steps[1].body).duration, Seconds(2)) << "the rest of the map is read as before";
  EXPECT_EQ(s.steps[0].pos.line, 3);
}

TEST(StepNames, BadNamesAreErrorsWithTheirLine) {
  for (const BadCase& c : std::vector<BadCase>{
           {"about: x\nsteps:\n  - gc\n  - run: {for: 1s, name: \"\"}\n", 4, "got an empty one"},
           {"about: x\nsteps:\n  - name: \"  \"\n    gc:\n", 3, "got an empty one"},
           {"about: x\nsteps:\n  - name:\n    gc:\n", 3, "expected a step name"},
           {"about: x\nsteps:\n  - name: [a, b]\n    gc:\n", 3, "expected a step name such as burst, got a list"},
           {"about: x\nsteps:\n  - run: {for: 1s, name: {a: 1}}\n", 3, "got a map"},
           {"about: x\nsteps:\n  - name: a\n    run: {for: 1s, name: b}\n", 4, "a second name for this step"},
           {"about: x\nsteps:\n  - gc\n  - name: a\n", 4, "got only a name"},
           {"about: x\nsteps:\n  - name: a\n    gc:\n    idle: 1s\n", 3, "a map with one key"},
           {"about: x\nsteps:\n  - run: {for: 1s, name: \"a,b\"}\n", 3, "no comma"},
           {"about: x\nsteps:\n  - name: gc\n    idle: 1s\n", 3, "not a step kind"},
           {"about: x\nsteps:\n  - run: {for: 1s, name: \"drop:cache\"}\n", 3, "not a step kind"},
           {"about: x\nsteps:\n  - run: {for: 1s, name: start}\n", 3, "not a step kind"},
           {"about: x\nsteps:\n  - run: {for: 1s, name: a}\n  - name: a\n    gc:\n", 4,
            "already names the run step at line 3"},
       }) {
    expectError(c);
  }
  // A name may repeat for steps of one kind, and may be the step's own label.
  const Scenario s = parseScenario(
      "about: x\nsteps:\n  - run: {for: 1s, name: a}\n  - run: {for: 1s, name: a}\n  - name: gc\n    gc:\n",
      "ok.yaml");
  EXPECT_EQ(s.steps[1].name, "a");
  EXPECT_EQ(s.steps[2].name, "gc");
}

TEST(ScenarioErrors, MalformedYaml) {
  // yaml-cpp notices the unclosed flow list at the end of the text.
  expectError({"about: x\nsteps: [gc,\nname: y\n", 4, "malformed YAML"});
  expectError({"about: x\nsteps: [gc]\nname: a: b\n", 3, "malformed YAML"});
  expectError({"about: x\nsteps:\n\t- gc\n", 3, "malformed YAML"});
}

TEST(ScenarioErrors, UnitsAndRanges) {
  for (const BadCase& c : std::vector<BadCase>{
           {"about: x\nmachine: {memory: 24GB}\nsample_every: 100\nsteps: [gc]\n", 3,
            "sample_every: expected a duration such as 250ms"},
           {"about: x\nsample_every: 0s\nsteps: [gc]\n", 2, "greater than 0"},
           {"about: x\nmachine: {memory: 24gb}\nsteps: [gc]\n", 2,
            "machine.memory: expected a size such as 64B, 32KiB, 1.5GiB"},
           {"about: x\nsteps:\n  - live_set: {name: c, grow_to: -5MB, size: 8B}\n", 3, "negative"},
           {"about: x\nsteps:\n  - live_set: {name: c, grow_to: 5MB, size: 0B}\n", 3,
            "greater than 0"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 0MB/s, size: 8B, lifetime: "
            "1s}]}\n",
            3, "expected a rate such as 100MB/s"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB, size: 8B, lifetime: 1s}]}\n",
            3, "expected a rate such as 100MB/s"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: -1MB/s, size: 8B, lifetime: "
            "1s}]}\n",
            3, "negative"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, lifetime: "
            "soon}]}\n",
            3, "expected a lifetime such as 0, 2s, forever"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, lifetime: "
            "{weibull: 1s}}]}\n",
            3, "expected one of fixed, exponential, lognormal"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, lifetime: 1s, "
            "touch: 1.5}]}\n",
            3, "touch: expected a number >= 0 and <= 1"},
           {"about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, lifetime: 1s, "
            "pointers: maybe}]}\n",
            3, "expected true or false"},
           {"about: x\nsteps:\n  - run:\n      for: 1s\n      alloc:\n        - rate: 1MB/s\n      "
            "    size: {choice: []}\n          lifetime: 1s\n",
            7, "at least one size"},
           {"about: x\nsteps:\n  - run:\n      for: 1s\n      alloc:\n        - rate: 1MB/s\n      "
            "    size: {choice: [{size: 8B, weight: 0}]}\n          lifetime: 1s\n",
            7, "weight: expected a number > 0"},
           {"about: x\nsteps:\n  - live_set: {name: c, grow_to: 1MB, size: {uniform: [1KiB, "
            "64B]}}\n",
            3, "min <= max"},
           {"about: x\nsteps:\n  - live_set: {name: c, grow_to: 1MB, size: {gaussian: 1KiB}}\n", 3,
            "expected one of choice, uniform, lognormal"},
           {"about: x\nsteps:\n  - live_set: {name: c, grow_to: 1MB, size: {lognormal: {median: "
            "1KiB}}}\n",
            3, "missing 'sigma'"},
           {"about: x\nsteps:\n  - append: {slice: s, add: 1MiB, times: 0}\n", 3,
            "expected a whole number of appends >= 1"},
           {"about: x\nsteps:\n  - idle: 5\n", 3, "needs a unit"},
           {"about: x\nsteps:\n  - set_gc_percent: -5\n", 3, "or off"},
           {"about: x\nsteps:\n  - set_memory_limit: lots\n", 3, "expected a size such as 512MiB"},
           {"about: x\nsteps:\n  - goroutines: {count: -1}\n", 3, "whole number of goroutines"},
       }) {
    expectError(c);
  }
}

TEST(ScenarioErrors, RuntimeKnobs) {
  for (const BadCase& c : std::vector<BadCase>{
           {"about: x\nruntime: {gomaxprocs: 0}\nsteps: [gc]\n", 2,
            "runtime.gomaxprocs: expected a whole number of Ps >= 1"},
           {"about: x\nruntime: {gogc: -1}\nsteps: [gc]\n", 2,
            "runtime.gogc: expected a whole percentage >= 0 such as 100, or off"},
           {"about: x\nruntime: {gogc: lots}\nsteps: [gc]\n", 2, "or off"},
           {"about: x\nruntime:\n  go: 1.9\nsteps: [gc]\n", 3, "expected a Go version"},
           {"about: x\nruntime:\n  go: \"1.28\"\nsteps: [gc]\n", 3,
            "runtime.go: Go 1.28 is not modelled; expected a Go version such as 1.21, 1.21.4 or go1.27 (gomemsim "
            "models 1.11 to 1.27)"},
           {"about: x\nruntime:\n  go: \"1.x\"\nsteps: [gc]\n", 3, "runtime.go: not a Go version; expected a Go version"},
           {"about: x\nruntime: {go: \"1.24\", goexperiment: greenteagc}\nsteps: [gc]\n", 2,
            "runtime.goexperiment: GOEXPERIMENT=greenteagc: Go 1.24 has no greenteagc experiment"},
           {"about: x\nruntime: {madvise: never}\nsteps: [gc]\n", 2,
            "expected auto, dontneed or free"},
           {"about: x\nruntime: {memory_limit: -1GiB}\nsteps: [gc]\n", 2, "or off"},
           {"about: x\nruntime: {gogc: [1]}\nsteps: [gc]\n", 2, "expected a single value"},
           {"about: x\nseed: -3\nsteps: [gc]\n", 2, "seed: expected a seed"},
       }) {
    expectError(c);
  }
}

TEST(ScenarioErrors, DropOfUnknownSet) {
  expectError(
      {"about: x\nsteps:\n  - drop: {set: cache}\n  - live_set: {name: cache, grow_to: 1MB, size: "
       "8B}\n",
       3, "no earlier step creates 'cache'"});
  expectError({"about: x\nsteps:\n  - drop: {set: cache, fraction: 0}\n", 3,
               "fraction: expected a number > 0 and <= 1"});
  expectError(
      {"about: x\nsteps:\n  - live_set: {name: c, grow_to: 1MB, size: 8B}\n  - drop: {set: c, "
       "fraction: 1.5}\n",
       4, "fraction: expected a number > 0 and <= 1"});
  expectError(
      {"about: x\nsteps:\n  - append: {slice: s, add: 1MiB}\n  - drop: {set: s, fraction: 0.5}\n",
       4, "is a slice"});
  expectError(
      {"about: x\nsteps:\n  - append: {slice: s, add: 1MiB}\n  - live_set: {name: s, grow_to: 1MB, "
       "size: 8B}\n",
       4, "already a slice"});
  // Sets from alloc streams and slices from append both count.
  Scenario s = parseScenario(
      "about: x\nsteps:\n  - run: {for: 1s, alloc: [{rate: 1MB/s, size: 8B, set: b}]}\n"
      "  - append: {slice: s, add: 1MiB}\n  - drop: {set: b}\n  - drop: {set: s}\n",
      "ok.yaml");
  EXPECT_EQ(s.steps[2].label, "drop:b");
  EXPECT_EQ(s.steps[3].label, "drop:s");
}

TEST(ScenarioErrors, ErrorPositionIsTheValue) {
  try {
    parseScenario("about: x\nsteps:\n  - idle: 5parsecs\n", "p.yaml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 11);
    EXPECT_THAT(e.what(), HasSubstr("steps[0].idle"));
  }
}

// ---------------------------------------------------------------------------------------------
// Files and overrides

TEST(LoadScenario, ReadsFileAndReportsUnreadable) {
  std::filesystem::path p = std::filesystem::temp_directory_path() / "gomemsim_scenario_test.yaml";
  {
    std::ofstream out(p);
    out << kFullExample;
  }
  Scenario s = loadScenario(p.string());
  EXPECT_EQ(s.file, p.string());
  EXPECT_EQ(s.steps.size(), 12u);
  std::filesystem::remove(p);
  try {
    loadScenario(p.string());
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(e.file(), p.string());
    EXPECT_THAT(e.what(), HasSubstr("cannot read"));
  }
}

Scenario minimal() { return parseScenario("about: x\nsteps: [gc]\n", "m.yaml"); }

TEST(ApplyEnv, GoNamesAndSyntax) {
  Scenario s = minimal();
  applyEnv(s, "GOGC=off,GOMEMLIMIT=1GiB,GODEBUG=madvdontneed=1,GOMAXPROCS=4");
  EXPECT_EQ(s.runtime.gogc, -1);
  EXPECT_EQ(s.runtime.memory_limit, GiB(1));
  EXPECT_EQ(s.runtime.godebug, "madvdontneed=1");
  EXPECT_EQ(gomaxprocsOf(s), 4);

  applyEnv(s, "GOGC=50,GOMEMLIMIT=off,GOMEMLIMIT=123");
  EXPECT_EQ(s.runtime.gogc, 50);
  EXPECT_EQ(s.runtime.memory_limit, Bytes(123));
  applyEnv(s, "GOMEMLIMIT=512MiB");
  EXPECT_EQ(s.runtime.memory_limit, MiB(512));
  applyEnv(s, "GOMEMLIMIT=off");
  EXPECT_FALSE(s.runtime.memory_limit.has_value());
}

TEST(ApplyEnv, GodebugKeepsItsCommas) {
  Scenario s = minimal();
  applyEnv(s, "GODEBUG=gctrace=1,madvdontneed=1,GOGC=200");
  EXPECT_EQ(s.runtime.godebug, "gctrace=1,madvdontneed=1");
  EXPECT_EQ(s.runtime.gogc, 200);
  applyEnv(s, "GODEBUG=scavtrace=1");
  EXPECT_EQ(s.runtime.godebug, "gctrace=1,madvdontneed=1,scavtrace=1");
}

TEST(ApplyEnv, Errors) {
  for (const char* bad : {"GOGC=-5", "GOGC=lots", "GOMEMLIMIT=1GB", "GOMEMLIMIT=1.5GiB",
                          "GOMEMLIMIT=-1", "GOMAXPROCS=0", "GOMAXPROCS=two", "GOTRACEBACK=all",
                          "gctrace=1", "GOGC=100,madvdontneed=1"}) {
    Scenario s = minimal();
    try {
      applyEnv(s, bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.file(), "--env");
      EXPECT_EQ(e.line(), 0);
      EXPECT_THAT(e.what(), HasSubstr("expected")) << bad;
      // A flag has no line: "--env: ...", not "--env:0:0: ..." (found by tests/fuzz/scenario_fuzz).
      EXPECT_THAT(e.what(), StartsWith("--env: ")) << bad;
    }
  }
}

TEST(ApplySet, KeysAndAliases) {
  Scenario s = minimal();
  applySet(s, "runtime.go=1.16");
  applySet(s, "gogc=off");
  applySet(s, "memory_limit=2GiB");
  applySet(s, "runtime.gomaxprocs=8");
  applySet(s, "scavenger=background");
  applySet(s, "runtime.pacer=go1.19");
  applySet(s, "madvise=free");
  applySet(s, "godebug=madvdontneed=0");
  applySet(s, "machine.memory=16GiB");
  applySet(s, "machine.cgroup_limit=4GiB");
  applySet(s, "machine.baseline_rss=5MiB");
  applySet(s, "sample_every=10ms");
  applySet(s, "seed=7");
  applySet(s, "name=renamed");
  EXPECT_EQ(s.runtime.go_version, "1.16");
  EXPECT_EQ(s.runtime.gogc, -1);
  EXPECT_EQ(s.runtime.memory_limit, GiB(2));
  EXPECT_EQ(gomaxprocsOf(s), 8);
  EXPECT_EQ(s.runtime.scavenger, "background");
  EXPECT_EQ(s.runtime.pacer, "go1.19");
  EXPECT_EQ(s.runtime.madvise, "free");
  EXPECT_EQ(s.runtime.godebug, "madvdontneed=0");
  EXPECT_EQ(s.machine.memory, GiB(16));
  EXPECT_EQ(s.machine.cgroup_limit, GiB(4));
  EXPECT_EQ(s.machine.baseline_rss, MiB(5));
  EXPECT_EQ(s.sample_every, Milliseconds(10));
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.name, "renamed");
  applySet(s, "go=1.22");
  applySet(s, "runtime.gogc=75");
  applySet(s, "runtime.memory_limit=off");
  EXPECT_EQ(s.runtime.go_version, "1.22");
  applySet(s, "go=go1.21.4");
  EXPECT_EQ(s.runtime.go_version, "1.21.4");
  applySet(s, "go=1.26");
  applyEnv(s, "GOEXPERIMENT=nogreenteagc");
  EXPECT_EQ(s.runtime.goexperiment, "nogreenteagc");
  EXPECT_THROW(applySet(s, "go=1.24"), ScenarioError) << "1.24 has no greenteagc experiment to turn off";
  EXPECT_EQ(s.runtime.go_version, "1.26") << "a rejected --set changes nothing";
  EXPECT_EQ(s.runtime.gogc, 75);
  EXPECT_FALSE(s.runtime.memory_limit.has_value());
}

TEST(ParseScenario, OtherProcessAndThp) {
  const Scenario s = parseScenario(
      "about: x\nmachine: {memory: 4GiB, thp: always}\nsteps:\n"
      "  - other_process: {name: batch-job, rss: 3GiB}\n"
      "  - other_process: 512MiB\n"
      "  - other_process: {name: batch-job, rss: 0}\n",
      "o.yaml");
  EXPECT_EQ(s.machine.thp, "always");
  ASSERT_EQ(s.steps.size(), 3u);
  const auto& a = std::get<OtherProcessStep>(s.steps[0].body);
  EXPECT_EQ(a.name, "batch-job");
  EXPECT_EQ(a.rss, GiB(3));
  EXPECT_EQ(s.steps[0].label, "other_process:batch-job=3GiB");
  EXPECT_EQ(std::get<OtherProcessStep>(s.steps[1].body).name, "other");
  EXPECT_EQ(std::get<OtherProcessStep>(s.steps[1].body).rss, MiB(512));
  EXPECT_EQ(s.steps[1].label, "other_process:other=512MiB");
  EXPECT_EQ(std::get<OtherProcessStep>(s.steps[2].body).rss, Bytes(0));
  EXPECT_EQ(parseScenario("about: x\nsteps: [gc]\n", "d.yaml").machine.thp, "madvise");
  for (const BadCase& c : std::vector<BadCase>{
           {"about: x\nsteps:\n  - other_process: {rss: -1GiB}\n", 3, "negative"},
           {"about: x\nsteps:\n  - other_process: {name: x}\n", 3, "rss"},
           {"about: x\nsteps:\n  - other_process: {rss: 1GiB, pid: 4}\n", 3, "expected one of name, rss"},
           {"about: x\nsteps:\n  - other_process\n", 3, "needs a value"},
           {"about: x\nmachine: {thp: sometimes}\nsteps: [gc]\n", 2, "expected never, madvise or always"},
       })
    expectError(c);
  Scenario t = minimal();
  applySet(t, "machine.thp=never");
  EXPECT_EQ(t.machine.thp, "never");
  applySet(t, "thp=always");
  EXPECT_EQ(t.machine.thp, "always");
  EXPECT_THROW(applySet(t, "thp=on"), ScenarioError);
}

TEST(ApplySet, Errors) {
  Scenario s = minimal();
  try {
    applySet(s, "runtime.color=blue");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), "--set");
    EXPECT_EQ(e.line(), 0);
    EXPECT_THAT(e.what(),
                HasSubstr("unknown key 'runtime.color'; expected one of runtime.go (go)"));
  }
  for (const char* bad : {"gogc", "gogc=-1", "go=2.0", "go=1.x", "go=banana", "go=1.10", "gomaxprocs=0", "madvise=maybe",
                          "sample_every=0s", "machine.memory=lots", "seed=x", "memory_limit=1gb",
                          "pacer=bogus", "scavenger=bogus"}) {
    try {
      applySet(s, bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.file(), "--set");
      EXPECT_THAT(e.what(), HasSubstr("expected")) << bad;
      EXPECT_THAT(e.what(), StartsWith("--set: ")) << bad;
    }
  }
}

// A policy name the simulator does not know is a bad scenario (exit 2), not a failed run.
TEST(ScenarioErrors, UnknownPolicyNames) {
  expectError({"about: x\nruntime:\n  scavenger: bogus\nsteps: [gc]\n", 3, "unknown scavenger policy 'bogus'"});
  expectError({"about: x\nruntime: {pacer: go1.5}\nsteps: [gc]\n", 2, "expected auto or a pacer policy (go1.19, go1.21)"});
}

TEST(ScenarioFiles, EveryShippedFileParses) {
  std::filesystem::path dir = std::filesystem::path(GOMEMSIM_SOURCE_DIR) / "scenarios";
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
  }
  if (files.empty()) GTEST_SKIP() << "no scenarios/*.yaml yet";
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    try {
      Scenario s = loadScenario(f.string());
      EXPECT_FALSE(s.steps.empty());
      EXPECT_FALSE(s.about.empty());
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace gomemsim

namespace gomemsim {
namespace {

TEST(ParseScenario, GomaxprocsFollowsTheCpusAndFromGo125TheCgroupCpuLimit) {
  Scenario s = parseScenario("about: x\nruntime: {go: \"1.24\"}\nmachine: {cpus: 64, cpu_limit: 1.5}\nsteps: [gc]\n", "g.yaml");
  EXPECT_EQ(gomaxprocsOf(s), 64) << "Go 1.24: the affinity mask's CPUs, the cgroup quota ignored";
  applySet(s, "go=1.25");
  EXPECT_EQ(gomaxprocsOf(s), 2) << "Go 1.25: max(ceil(1.5), 2)";
  applySet(s, "machine.cpu_limit=6.2");
  EXPECT_EQ(gomaxprocsOf(s), 7) << "ceil(6.2)";
  applySet(s, "cpus=4");
  EXPECT_EQ(gomaxprocsOf(s), 4) << "never more than the CPUs";
  applyEnv(s, "GODEBUG=containermaxprocs=0");
  applySet(s, "cpus=64");
  EXPECT_EQ(gomaxprocsOf(s), 64) << "containermaxprocs=0 turns it off";
  applyEnv(s, "GOMAXPROCS=3");
  EXPECT_EQ(gomaxprocsOf(s), 3) << "an explicit GOMAXPROCS wins";
  EXPECT_THROW(applySet(s, "cpu_limit=0"), ScenarioError);
  EXPECT_THROW(applySet(s, "cpus=0"), ScenarioError);
  applySet(s, "cpu_limit=off");
  EXPECT_FALSE(s.machine.cpu_limit.has_value());
}

TEST(ParseScenario, CpuSpeedIsAFactorAboveZero) {
  Scenario s = parseScenario("about: x\nmachine: {cpu_speed: 1.9}\nsteps: [gc]\n", "c.yaml");
  EXPECT_DOUBLE_EQ(s.machine.cpu_speed, 1.9);
  applySet(s, "cpu_speed=0.5");
  EXPECT_DOUBLE_EQ(s.machine.cpu_speed, 0.5);
  applySet(s, "machine.cpu_speed=3");
  EXPECT_DOUBLE_EQ(s.machine.cpu_speed, 3.0);
  EXPECT_TRUE(knobsRealGoCannotSet(s).empty()) << "validate's real run gets this machine's speed; the knob says what it is";
  for (const char* bad : {"cpu_speed=0", "cpu_speed=-1", "cpu_speed=fast", "cpu_speed=1000"}) {
    try {
      applySet(s, bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("expected a speed factor above 0"), std::string::npos) << e.what();
    }
  }
  EXPECT_DOUBLE_EQ(parseScenario("about: x\nsteps: [gc]\n", "d.yaml").machine.cpu_speed, 1.0) << "the calibration machine";
}

}  // namespace
}  // namespace gomemsim
