#include "fit/metrics_series.h"

#include "common/csv.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

namespace gomemsim {
namespace {

// A line without the \r of a CRLF file.
std::string trimmedCr(const std::string& line) {
  return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

constexpr const char* kTime = "time_s";
constexpr const char* kCycles = "/gc/cycles/total:gc-cycles";
constexpr const char* kForced = "/gc/cycles/forced:gc-cycles";
constexpr const char* kAllocs = "/gc/heap/allocs:bytes";
constexpr const char* kLive = "/gc/heap/live:bytes";
constexpr const char* kObjects = "/memory/classes/heap/objects:bytes";
constexpr const char* kGoal = "/gc/heap/goal:bytes";
constexpr const char* kGogc = "/gc/gogc:percent";
constexpr const char* kLimit = "/gc/gomemlimit:bytes";
constexpr const char* kProcs = "/sched/gomaxprocs:threads";
constexpr const char* kAssist = "/cpu/classes/gc/mark/assist:cpu-seconds";
constexpr const char* kDedicated = "/cpu/classes/gc/mark/dedicated:cpu-seconds";
constexpr const char* kIdle = "/cpu/classes/gc/mark/idle:cpu-seconds";

// Go's ~2^63 B "no goal" (GOGC=off, no limit) and math.MaxInt64 "no limit".
constexpr double kNoGoalAbove = 4611686018427387904.0;  // 2^62

int64_t mbOf(double bytes) { return static_cast<int64_t>(std::max(0.0, bytes)) >> 20; }

}  // namespace

bool looksLikeMetricsSeries(const std::string& firstLine) {
  bool time = false, gc = false;
  for (const std::string& c : csvFields(trimmedCr(firstLine))) {
    time = time || c == kTime;
    gc = gc || c.rfind("/gc/", 0) == 0;
  }
  return time && gc;
}

MetricsSeries readMetricsSeries(std::istream& in, const std::string& name) {
  std::string line;
  if (!std::getline(in, line)) throw MetricsSeriesError(name + ": empty, expected a CSV header");
  const std::vector<std::string> header = csvFields(trimmedCr(line));
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col.emplace(header[i], i);
  for (const char* need : {kTime, kCycles, kAllocs})
    if (!col.count(need))
      throw MetricsSeriesError(name + ":1: expected a column " + need +
                               " (time_s, /gc/cycles/total:gc-cycles and /gc/heap/allocs:bytes are needed)");
  const char* liveName = col.count(kLive) ? kLive : col.count(kObjects) ? kObjects : nullptr;
  if (!liveName)
    throw MetricsSeriesError(name + ":1: expected a column " + std::string(kLive) + " (Go 1.21+) or " + kObjects);
  const auto has = [&](const char* n) { return col.count(n) > 0; };

  MetricsSeries out;
  out.log.era = GcTraceEra::Go118;
  struct Sample {
    double t, cycles, forced, allocs, live, goal, procs, assist, dedicated, idle;
  };
  std::optional<Sample> prev;
  std::optional<Sample> lastCycle;  // the sample after the last cycle: the mark CPU since
  double cycleAllocs = 0;           // the allocation counter at the last cycle's end (estimated)
  double lastGoal = 0;
  int lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> row = csvFields(trimmedCr(line));
    std::string bad;
    const auto get = [&](const char* n, bool required) -> double {
      if (!has(n)) return 0;
      const size_t i = col.at(n);
      const std::optional<double> v = i < row.size() ? number(row[i]) : std::nullopt;
      if (!v && required && bad.empty()) bad = n;
      return v.value_or(0);
    };
    Sample s{get(kTime, true), get(kCycles, true), get(kForced, false), get(kAllocs, true), get(liveName, true),
             get(kGoal, false), get(kProcs, false), get(kAssist, false), get(kDedicated, false), get(kIdle, false)};
    if (!bad.empty()) {
      out.log.problems.push_back(name + ":" + std::to_string(lineNo) + ": expected a number in column " + bad);
      continue;
    }
    ++out.samples;
    if (has(kGogc)) {
      const double g = get(kGogc, false);
      out.gogc = g > 1e15 ? -1 : static_cast<int64_t>(g);  // GOGC=off is uint64(-1)
    }
    if (has(kLimit)) {
      const double l = get(kLimit, false);
      if (l > 0 && l < 9.2e18) out.memoryLimit = static_cast<int64_t>(l);
      else out.memoryLimit.reset();
    }
    if (prev && s.cycles > prev->cycles && s.t >= prev->t) {
      const int d = static_cast<int>(std::llround(s.cycles - prev->cycles));
      const int forced = static_cast<int>(std::llround(s.forced - prev->forced));
      // Since the sample after the last cycle (the counters start at 0 with the program).
      const Sample since = lastCycle.value_or(Sample{});
      const double cpu[3] = {(s.assist - since.assist) * 1e3 / d, (s.dedicated - since.dedicated) * 1e3 / d,
                             (s.idle - since.idle) * 1e3 / d};
      const double marked0 = out.log.cycles.empty() ? 0 : (static_cast<double>(out.log.cycles.back().heap2Mb) + 0.5) * 1048576;
      double marked = marked0;
      const double goal0 = lastGoal > 0 && lastGoal < kNoGoalAbove ? lastGoal : 0;
      for (int j = 1; j <= d; ++j) {
        // Cycles between two samples: the marked heap moved from the last one's to this
        // sample's, a step each.
        const double markedNow = out.log.cycles.empty() || j == d ? s.live : marked0 + (s.live - marked0) * j / d;
        // An automatic cycle ends about when the heap, grown by allocation from the last marked
        // heap, reaches its goal (the goal in effect; a later one between the same samples, the
        // same ratio to its marked heap): that much allocation after the last cycle, and the
        // moment the counter passed it, between the samples. A forced one, or one whose goal
        // is not known, at the sample with all the allocation since.
        const double goal = j == 1 || marked0 <= 0 ? goal0 : goal0 * marked / marked0;
        const bool atSample = (d == 1 && forced >= 1) || goal <= 0;
        const double need = atSample ? s.allocs - cycleAllocs : std::max(0.0, goal - marked);
        const double at = std::min(s.allocs, cycleAllocs + need);
        const double alloc = std::max(0.0, at - cycleAllocs);
        cycleAllocs = at;
        GcTraceCycle c;
        c.line = lineNo;
        c.n = static_cast<int64_t>(prev->cycles) + j;
        c.startS = s.allocs > prev->allocs && at >= prev->allocs && !atSample
                       ? prev->t + (s.t - prev->t) * (at - prev->allocs) / (s.allocs - prev->allocs)
                       : s.t;
        c.heap1Mb = c.heap0Mb = mbOf(marked + alloc);
        c.heap2Mb = mbOf(markedNow);
        c.goalMb = lastGoal >= kNoGoalAbove ? (int64_t{1} << 43) : mbOf(lastGoal > 0 ? lastGoal : s.goal);
        c.stacksMb = 0;
        c.globalsMb = 0;
        c.procs = static_cast<int64_t>(s.procs);
        c.cpuMs[1] = std::max(0.0, cpu[0]);
        c.cpuMs[2] = std::max(0.0, cpu[1]);
        c.cpuMs[3] = std::max(0.0, cpu[2]);
        // The mark's length: the dedicated and fractional workers run a quarter of GOMAXPROCS
        // throughout it (mgcpacer.go gcBackgroundUtilization).
        if (s.procs > 0) c.clockMs[1] = c.cpuMs[2] / (0.25 * s.procs);
        c.forced = d == 1 && forced >= 1;
        // An automatic cycle the allocation could not have started (the heap never reached
        // its goal) and two minutes or more after the last: sysmon's (proc.go forcegcperiod).
        const double sinceLast = out.log.cycles.empty() ? c.startS : c.startS - out.log.cycles.back().endS();
        c.periodic = !atSample && need > alloc + 1048576 && sinceLast >= 119;
        out.log.cycles.push_back(c);
        marked = markedNow;
      }
    }
    if (prev && s.cycles > prev->cycles) lastCycle = s;
    lastGoal = s.goal;
    prev = s;
  }
  return out;
}

}  // namespace gomemsim
