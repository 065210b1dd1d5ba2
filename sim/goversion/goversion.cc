// The Go-version table: one row per modelled release (per patch range where a minor release
// changed inside), each field citing what it follows.
#include "goversion/goversion.h"

#include <algorithm>
#include <charconv>

namespace gomemsim {
namespace {

using HB = HeapBitsLayout;
using HP = HeapHugePageAdvice;
using MD = MadviseDefault;
using SC = SizeClassScheme;
using GS = GrowsliceScheme;
using ST = ScavTraceFormat;
using GT = GcTraceFormat;
using RM = RuntimeMetricsSet;

std::vector<GoRelease> buildTable() {
  // Each release states only what it changed from the row before it.
  std::vector<GoRelease> rows;
  GoRelease r;
  const auto add = [&](std::string_view name, int minor, int first = 0, int last = kOpenPatch) {
    r.name = name;
    r.minor = minor;
    r.firstPatch = first;
    r.lastPatch = last;
    rows.push_back(r);
  };
  // Go 1.11: the oldest modelled. sysmon releases spans idle for 5 minutes (proc.go sysmon,
  // mheap.go scavenge); MADV_DONTNEED only; 67 size classes; growslice doubles below 1024.
  r.sizeClasses = SC::Go115;
  r.growslice = GS::Go117;
  r.heapBits = HB::TwoBitsPerWord;
  r.madvise = MD::DontNeedOnly;
  r.pacer = "go1.19";  // every release runs the Go 1.18+ pacer (the <= 1.17 one is not modelled)
  r.scavenger = "sysmon-5min";
  r.hugePageAdvice = HP::EdgesAndSpans;
  r.gctrace = GT::Go117;
  r.scavtrace = ST::None;
  add("1.11", 11);
  // Go 1.12: MADV_FREE by default (mem_linux.go, runtime1.go madvdontneed = 0); mheap.grow
  // scavenges as much as it grows (scavengeLargest).
  r.madvise = MD::Free;
  r.heapGrowthScavenging = true;
  add("1.12", 12);
  // Go 1.13: the background scavenger (mgcscavenge.go bgscavenge); no heap-growth scavenging.
  r.scavenger = "background";
  r.heapGrowthScavenging = false;
  add("1.13", 13);
  // Go 1.14: GODEBUG=scavtrace=1 (mgcscavenge.go printScavTrace, no generation number).
  r.scavtrace = ST::Go114;
  add("1.14", 14);
  // Go 1.15: scavenge generations; scavtrace prints the generation (printScavTrace(gen, ...)).
  r.scavtrace = ST::Go115;
  add("1.15", 15);
  // Go 1.16: 24-byte size class (mksizeclasses.go: 16-byte alignment from 32 B); MADV_DONTNEED
  // again by default (runtime1.go: debug.madvdontneed = 1 on Linux).
  r.sizeClasses = SC::Go116;
  r.madvise = MD::DontNeed;
  r.metricsSet = RM::Go116;  // runtime/metrics is new in Go 1.16
  add("1.16", 16);
  // Go 1.17: runtime/metrics adds the heap's cumulative allocs and frees (metrics/description.go).
  r.metricsSet = RM::Go117;
  add("1.17", 17);
  // Go 1.18: growslice's smoother formula (slice.go, threshold 256); gctrace prints stacks and
  // globals (mgc.go gcMarkTermination); the pacer counts them (mgcpacer.go, the 1.18 redesign).
  r.growslice = GS::Go118;
  r.gctrace = GT::Go118;
  add("1.18", 18);
  // Go 1.19: GOMEMLIMIT and the GC CPU limiter (mgclimit.go); the scavenger at 1 % of
  // GOMAXPROCS with a memory-limit goal, PI-paced (mgcscavenge.go); scavtrace drops the
  // generation; the memory-limit goal bug (golang/go#62449).
  r.scavenger = "background-1.19";
  r.gcCpuLimiter = true;
  r.scavengerLimitGoalBug = true;
  r.scavtrace = ST::Go114;
  // metrics/description.go (1.19.8): /gc/limiter/last-enabled:gc-cycle and /sched/gomaxprocs:threads.
  r.metricsSet = RM::Go119;
  add("1.19", 19);
  // Go 1.20: heap bitmap of 1 bit per word plus noMorePtrs (mbitmap.go, mheap.go heapArena).
  r.heapBits = HB::OneBitPerWord;
  // metrics/description.go (1.20): /cpu/classes/*, the CPU-time estimates of mstats.go cpuStats.
  r.metricsSet = RM::Go120;
  add("1.20", 20);
  // Go 1.21: the pacer's cons/mark estimate and memory-limit headroom (mgcpacer.go), the
  // density-aware scavenger with its generational index (mgcscavenge.go scavChunkHiOccFrac),
  // metadata huge pages above a 1 GiB goal (mgc.go, malloc.go), the new scavtrace. Huge-page
  // advice changed inside the release: 1.21.0 advised the heap MADV_HUGEPAGE and released ranges
  // MADV_NOHUGEPAGE; 1.21.1-1.21.3 dropped that and collapsed dense chunks (MADV_COLLAPSE,
  // golang/go#61718); 1.21.4 dropped the collapse too (golang/go#64332); 1.21.6 added
  // GODEBUG=disablethp (mem_linux.go sysMapOS).
  r.pacer = "go1.21";
  r.mspanBytes = 152;  // + pinnerBits (runtime.Pinner)
  r.scavenger = "background-1.21";
  r.metadataHugePages = true;
  r.scavtrace = ST::Go121;
  // metrics/description.go: /gc/heap/live:bytes, /gc/gogc:percent, /gc/gomemlimit:bytes (Go 1.21
  // release notes, runtime/metrics).
  r.metricsSet = RM::Go121;
  r.hugePageAdvice = HP::Go1210;
  add("1.21.0", 21, 0, 0);
  r.hugePageAdvice = HP::Collapse;
  add("1.21.1-1.21.3", 21, 1, 3);
  r.hugePageAdvice = HP::None;
  add("1.21.4-1.21.5", 21, 4, 5);
  r.disableThpSetting = true;
  add("1.21.6+", 21, 6);
  // Go 1.22: allocation headers replace the arena heap bitmap (mbitmap.go, malloc.go); the
  // memory-limit goal bug is fixed (golang/go#62449).
  r.heapBits = HB::AllocationHeaders;
  r.scavengerLimitGoalBug = false;
  r.mspanBytes = 160;  // + largeType
  add("1.22", 22);
  add("1.23", 23);
  add("1.24", 24);
  // Go 1.25: container-aware GOMAXPROCS (runtime/cgroup_linux.go, proc.go defaultGOMAXPROCS);
  // Green Tea as GOEXPERIMENT=greenteagc.
  r.containerAwareGomaxprocs = true;
  r.greenTeaExperiment = true;
  add("1.25", 25);
  // Go 1.26: Green Tea by default (internal/buildcfg/exp.go; GOEXPERIMENT=nogreenteagc off).
  r.greenTeaDefault = true;
  r.releasedSpansSkipZeroing = true;
  r.arenaPageBitmaps = 4;
  r.baselineRssKiB = 2240;
  add("1.26", 26);
  // Go 1.27: size-specialised malloc below 80 B (CPU only) and the runtimefreegc experiment,
  // off by default (internal/buildcfg/exp.go): no change gomemsim models.
  r.baselineRssKiB = 2660;
  add("1.27", 27);
  return rows;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> smallNumber(std::string_view s) {
  if (!allDigits(s) || s.size() > 4 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

[[noreturn]] void badVersion(std::string_view text, const std::string& why) {
  throw GoVersionError(why + "; expected a Go version such as 1.21, 1.21.4 or go1.27 (gomemsim models 1.11 to 1.27), got '" +
                       std::string(text) + "'");
}

}  // namespace

std::string GoVersion::text() const {
  std::string t = "1.";
  t += std::to_string(minor);
  if (patch) {
    t += '.';
    t += std::to_string(*patch);
  }
  return t;
}

GoVersion parseGoVersion(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.starts_with("go")) t.remove_prefix(2);
  if (!t.starts_with("1.")) badVersion(text, t.starts_with("2.") || t.starts_with("0.") ? "only Go 1 exists" : "not a Go version");
  t.remove_prefix(2);
  const size_t dot = t.find('.');
  const std::optional<int> minor = smallNumber(t.substr(0, dot));
  if (!minor) badVersion(text, "not a Go version");
  GoVersion v;
  v.minor = *minor;
  if (dot != std::string_view::npos) {
    const std::optional<int> patch = smallNumber(t.substr(dot + 1));
    if (!patch) badVersion(text, "not a Go version");
    v.patch = *patch;
  }
  if (v.minor < kOldestModelledMinor || v.minor > kNewestModelledMinor)
    badVersion(text, "Go 1." + std::to_string(v.minor) + " is not modelled");
  return v;
}

const std::vector<GoRelease>& goReleases() {
  static const std::vector<GoRelease> kTable = buildTable();
  return kTable;
}

const GoRelease& goRelease(const GoVersion& v) {
  const GoRelease* newest = nullptr;
  for (const GoRelease& r : goReleases()) {
    if (r.minor != v.minor) continue;
    if (v.patch && *v.patch >= r.firstPatch && *v.patch <= r.lastPatch) return r;
    newest = &r;
  }
  if (!newest) throw GoVersionError("Go " + v.text() + " is not modelled (gomemsim models 1.11 to 1.27)");
  return *newest;
}

const GoRelease& goRelease(std::string_view text) { return goRelease(parseGoVersion(text)); }

bool greenTeaFor(const GoRelease& r, std::string_view goexperiment) {
  bool on = r.greenTeaDefault;
  while (!goexperiment.empty()) {
    const size_t comma = goexperiment.find(',');
    std::string_view e = goexperiment.substr(0, comma);
    goexperiment = comma == std::string_view::npos ? std::string_view() : goexperiment.substr(comma + 1);
    while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
    while (!e.empty() && e.back() == ' ') e.remove_suffix(1);
    if (e != "greenteagc" && e != "nogreenteagc") continue;
    if (!r.greenTeaExperiment)
      throw GoVersionError("GOEXPERIMENT=" + std::string(e) + ": Go " + std::string(r.name) +
                           " has no greenteagc experiment (Go 1.25 has it off by default, 1.26+ on)");
    on = e == "greenteagc";
  }
  return on;
}

namespace {

// Each name gomemsim writes and the metrics set that first exports it (metrics/description.go),
// in metrics.csv's column order: the memory classes, then the GC's counters and settings.
struct MetricSince {
  std::string_view name;
  RuntimeMetricsSet since;
};
constexpr MetricSince kMetricsSince[] = {
    {"/memory/classes/heap/objects:bytes", RM::Go116},
    {"/memory/classes/heap/unused:bytes", RM::Go116},
    {"/memory/classes/heap/free:bytes", RM::Go116},
    {"/memory/classes/heap/released:bytes", RM::Go116},
    {"/memory/classes/heap/stacks:bytes", RM::Go116},
    {"/memory/classes/metadata/mspan/inuse:bytes", RM::Go116},
    {"/memory/classes/metadata/mspan/free:bytes", RM::Go116},
    {"/memory/classes/metadata/other:bytes", RM::Go116},
    {"/memory/classes/total:bytes", RM::Go116},
    {"/gc/heap/allocs:bytes", RM::Go117},
    {"/gc/heap/allocs:objects", RM::Go117},
    {"/gc/heap/frees:bytes", RM::Go117},
    {"/gc/heap/frees:objects", RM::Go117},
    {"/gc/heap/tiny/allocs:objects", RM::Go117},
    {"/gc/heap/objects:objects", RM::Go116},
    {"/gc/heap/goal:bytes", RM::Go116},
    {"/gc/cycles/automatic:gc-cycles", RM::Go116},
    {"/gc/cycles/forced:gc-cycles", RM::Go116},
    {"/gc/cycles/total:gc-cycles", RM::Go116},
    {"/gc/limiter/last-enabled:gc-cycle", RM::Go119},
    {"/sched/gomaxprocs:threads", RM::Go119},
    {"/cpu/classes/gc/mark/assist:cpu-seconds", RM::Go120},
    {"/cpu/classes/gc/mark/dedicated:cpu-seconds", RM::Go120},
    {"/cpu/classes/gc/mark/idle:cpu-seconds", RM::Go120},
    {"/cpu/classes/gc/pause:cpu-seconds", RM::Go120},
    {"/cpu/classes/gc/total:cpu-seconds", RM::Go120},
    {"/cpu/classes/idle:cpu-seconds", RM::Go120},
    {"/cpu/classes/scavenge/assist:cpu-seconds", RM::Go120},
    {"/cpu/classes/scavenge/background:cpu-seconds", RM::Go120},
    {"/cpu/classes/scavenge/total:cpu-seconds", RM::Go120},
    {"/cpu/classes/total:cpu-seconds", RM::Go120},
    {"/cpu/classes/user:cpu-seconds", RM::Go120},
    {"/gc/heap/live:bytes", RM::Go121},
    {"/gc/gogc:percent", RM::Go121},
    {"/gc/gomemlimit:bytes", RM::Go121},
};

bool exports(const GoRelease& r, RuntimeMetricsSet since) {
  return r.metricsSet != RM::None && static_cast<int>(r.metricsSet) >= static_cast<int>(since);
}

}  // namespace

bool hasRuntimeMetric(const GoRelease& r, std::string_view name) {
  for (const MetricSince& m : kMetricsSince)
    if (m.name == name) return exports(r, m.since);
  return false;
}

std::vector<std::string_view> runtimeMetricNames(const GoRelease& r) {
  std::vector<std::string_view> names;
  for (const MetricSince& m : kMetricsSince)
    if (exports(r, m.since)) names.push_back(m.name);
  return names;
}

}  // namespace gomemsim
