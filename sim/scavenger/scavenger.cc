// The policy registry, the Go version -> policy map, parameter checks, and the goal formulas
// several policies share.
#include "scavenger/scavenger.h"

#include <algorithm>

#include "scavenger/policies.h"

namespace gomemsim {
namespace {

using Factory = std::unique_ptr<ScavengerPolicy> (*)(const ScavengerParams&, const GoRelease&);

struct PolicyInfo {
  const char* name;
  const char* homeVersion;  // the release the policy is named after, when none is given
  std::vector<std::string> honours;
  Factory make;
};

const std::vector<PolicyInfo>& registry() {
  static const std::vector<PolicyInfo> kPolicies = {
      {"sysmon-5min", "1.11", {"idle_threshold", "period"}, scav::makeSysmon5Min},
      {"background", "1.17", {"idle_threshold", "retain_extra", "cpu_fraction"}, scav::makeBackground},
      {"background-1.19", "1.19", {"idle_threshold", "retain_extra", "cpu_fraction"}, scav::makeBackground119},
      {"background-1.21", "1.21", {"idle_threshold", "retain_extra", "cpu_fraction"}, scav::makeBackground121},
      {"none", "1.19", {}, scav::makeNone},
  };
  return kPolicies;
}

const PolicyInfo* findPolicy(const std::string& name) {
  for (const PolicyInfo& p : registry())
    if (name == p.name) return &p;
  return nullptr;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::vector<std::string> paramsSet(const ScavengerParams& p) {
  std::vector<std::string> out;
  if (p.idleThreshold) out.push_back("idle_threshold");
  if (p.period) out.push_back("period");
  if (p.retainExtra) out.push_back("retain_extra");
  if (p.cpuFraction) out.push_back("cpu_fraction");
  return out;
}

}  // namespace

const char* knownScavengers() {
  static const std::string kNames = joined(scavengerNames());
  return kNames.c_str();
}

std::vector<std::string> scavengerNames() {
  std::vector<std::string> out;
  for (const PolicyInfo& p : registry()) out.emplace_back(p.name);
  return out;
}

const std::vector<std::string>& scavengerParamNames() {
  static const std::vector<std::string> kNames = {"idle_threshold", "period", "retain_extra", "cpu_fraction"};
  return kNames;
}

std::vector<std::string> scavengerParamsHonoured(const std::string& policy) {
  const PolicyInfo* p = findPolicy(policy);
  return p ? p->honours : std::vector<std::string>{};
}

void checkScavengerParams(const std::string& policy, const ScavengerParams& params) {
  const PolicyInfo* p = findPolicy(policy);
  if (!p)
    throw ScavengerParamError("", "unknown scavenger policy '" + policy + "'; expected auto or one of " + knownScavengers());
  for (const std::string& key : paramsSet(params)) {
    if (std::find(p->honours.begin(), p->honours.end(), key) == p->honours.end())
      throw ScavengerParamError(key, "scavenger policy '" + policy + "' does not use " + key +
                                         " (it honours: " + joined(p->honours) + ")");
  }
}

std::unique_ptr<ScavengerPolicy> makeScavenger(const std::string& name, const ScavengerParams& params,
                                               const GoRelease* release) {
  const PolicyInfo* p = findPolicy(name);
  if (!p) throw std::invalid_argument("unknown scavenger policy '" + name + "'; expected auto or one of " + knownScavengers());
  checkScavengerParams(name, params);
  return p->make(params, release ? *release : goRelease(p->homeVersion));
}

namespace scav {

int64_t gcPercentGoal(const ScavengerPacing& p, double retainExtra) {
  if (p.lastHeapGoal.v == 0) return kNoGoal;  // no GC has completed yet
  const double ratio = static_cast<double>(p.heapGoal.v) / static_cast<double>(p.lastHeapGoal.v);
  int64_t goal = static_cast<int64_t>(static_cast<double>(p.lastHeapInUse.v) * ratio);
  // retainedGoal += retainedGoal / (1.0 / (retainExtraPercent / 100.0)), as Go writes it.
  if (retainExtra > 0) goal += static_cast<int64_t>(static_cast<double>(goal) / (1.0 / retainExtra));
  goal = (goal + kPhysPage - 1) / kPhysPage * kPhysPage;
  // Under the goal or within a physical page of it: nothing to do.
  if (p.heapRetained.v <= goal || p.heapRetained.v - goal < kPhysPage) return kNoGoal;
  return goal;
}

int64_t memoryLimitGoal(std::optional<Bytes> limit, Bytes mappedReady, bool shippedBug) {
  if (!limit) return kNoGoal;
  const double factor = shippedBug ? 100 - kReduceExtraPercent : 1 - kReduceExtraPercent / 100;
  const double g = static_cast<double>(limit->v) * factor;
  if (g >= 9.2e18 || mappedReady.v <= static_cast<int64_t>(g)) return kNoGoal;  // already met
  return static_cast<int64_t>(g);
}

ScavengeSelect nonForcedSelect(const std::optional<Duration>& idleThreshold, SimTime now, bool generational) {
  ScavengeSelect s;
  s.generational = generational;
  if (idleThreshold && idleThreshold->v > 0) s.freedBefore = now + Duration(-idleThreshold->v);
  return s;
}

}  // namespace scav
}  // namespace gomemsim
