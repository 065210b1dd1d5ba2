// scenario_json: a scenario as normalised JSON, the form the real-Go driver (driver/) reads.
//
// Models: exactly what a loaded Scenario says, with every unit resolved: sizes in bytes
// (`*_bytes`), durations in nanoseconds (`*_ns`), rates in bytes per second, GOGC -1 for off,
// a memory limit of null for off, and the runtime's policy names resolved the way the
// simulator resolves them (scavenger/pacer "auto" -> the Go version's own; madvise "auto" ->
// what GODEBUG and the version select), each next to the version's own default so the driver
// can tell what it can reproduce. Steps carry their label (their kind and object, e.g. drop:cache),
// their step_name (the scenario's `name:`; trace.csv's `step` column shows it in place of the
// label when not empty) and the scenario-file line they came from. Output is deterministic: fixed key order, integers as
// integers, other numbers in the shortest form that reads back to the same double.
// Does not model: how a runtime executes the scenario (engine/ for gomemsim, driver/ for Go).
//
// scenarioFromJson reads the same format back (strictly: unknown or missing keys are errors
// naming the line and column), so the format is checked by round trip.
#pragma once

#include <string>

#include "scenario/scenario.h"

namespace gomemsim {

// Version of the JSON format; the driver refuses any other.
// 2: steps carry step_name (the scenario's `name:`, "" when none).
inline constexpr int kScenarioJsonFormat = 2;

std::string scenarioToJson(const Scenario& s);
// Throws ScenarioError (file = path) on malformed JSON or a field of the wrong form.
Scenario scenarioFromJson(const std::string& text, const std::string& path);

// What madvise mode a scenario resolves to ("dontneed" or "free"), as the engine resolves it.
std::string resolvedMadvise(const RuntimeKnobs& k);
// The madvise mode the Go version uses when GODEBUG does not choose one.
std::string defaultMadvise(const std::string& goVersion);

}  // namespace gomemsim
