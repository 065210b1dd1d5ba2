// policies: the scavenger policies' constructors and the pieces several of them share.
// Internal to sim/scavenger; the registry in scavenger.h is the way in.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "scavenger/scavenger.h"

namespace gomemsim::scav {

constexpr int64_t kNoGoal = std::numeric_limits<int64_t>::max();
constexpr int64_t kPhysPage = kOsPageSize;          // linux/amd64 physPageSize
constexpr double kRetainExtra = 0.10;               // mgcscavenge.go: retainExtraPercent = 10 (Go 1.13+)
constexpr double kScavengeFraction = 0.01;          // mgcscavenge.go: scavengePercent = 1 (Go 1.13+)
constexpr double kReduceExtraPercent = 5;           // mgcscavenge.go: reduceExtraPercent (Go 1.19+)

// mgcscavenge.go gcPaceScavenger's gcPercent goal (Go 1.14+): lastHeapInUse x
// heapGoal/lastHeapGoal, plus retainExtra of it, rounded up to a physical page. kNoGoal before
// the first GC, or when heapRetained is at or below it or less than a physical page above it.
int64_t gcPercentGoal(const ScavengerPacing& p, double retainExtra);

// Go 1.19+ gcPaceScavenger's memory-limit goal: limit x (1 - reduceExtraPercent/100) as fixed in
// Go 1.22, or with `shippedBug` limit x (100 - reduceExtraPercent) as Go 1.19-1.21 computed it
// (golang/go#62449: 95x the limit, so the background scavenger never works for the limit).
// kNoGoal without a limit or when mappedReady is already at or below it.
int64_t memoryLimitGoal(std::optional<Bytes> limit, Bytes mappedReady, bool shippedBug);

// The selection for a non-forced release: an optional idle threshold (pages free for longer
// than it only) and Go 1.21's generational index.
ScavengeSelect nonForcedSelect(const std::optional<Duration>& idleThreshold, SimTime now, bool generational);

std::unique_ptr<ScavengerPolicy> makeSysmon5Min(const ScavengerParams& p, const GoRelease& release);
std::unique_ptr<ScavengerPolicy> makeBackground(const ScavengerParams& p, const GoRelease& release);
std::unique_ptr<ScavengerPolicy> makeBackground119(const ScavengerParams& p, const GoRelease& release);
std::unique_ptr<ScavengerPolicy> makeBackground121(const ScavengerParams& p, const GoRelease& release);
std::unique_ptr<ScavengerPolicy> makeNone(const ScavengerParams& p, const GoRelease& release);

}  // namespace gomemsim::scav
