#include "fit/fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace gomemsim {

namespace {

constexpr double kMiB = 1048576.0;
// Go prints GOGC=off's goal as ~2^63 B: any goal beyond this many MB is "no goal".
constexpr int64_t kNoGoalMb = int64_t{1} << 40;
double mbToBytes(int64_t mb) { return (static_cast<double>(mb) + 0.5) * kMiB; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// GOGC from the goals (fit.h); nullopt if no cycle tells.
std::optional<double> estimateGogc(const std::vector<GcTraceCycle>& cycles, bool& off) {
  std::vector<double> g;
  int noGoal = 0, automatic = 0;
  for (size_t i = 1; i < cycles.size(); ++i) {
    const GcTraceCycle& c = cycles[i];
    if (c.forced) continue;
    ++automatic;
    if (c.goalMb >= kNoGoalMb || c.goalMb == 0) {  // Go's ~2^63 B; gomemsim's gctrace writes 0
      ++noGoal;
      continue;
    }
    const GcTraceCycle& p = cycles[i - 1];
    const double base = static_cast<double>(p.heap2Mb + c.stacksMb.value_or(0) + c.globalsMb.value_or(0));
    if (p.heap2Mb < 4 || c.goalMb <= 4) continue;  // the 4 MB minimum heap sets the goal
    g.push_back(100.0 * static_cast<double>(c.goalMb - p.heap2Mb) / base);
  }
  off = automatic > 0 && noGoal * 2 > automatic;
  if (g.empty()) return std::nullopt;
  return median(g);
}

std::string fmtRate(double bytesPerS) { return std::to_string(std::llround(bytesPerS)) + "B/s"; }
std::string fmtSeconds(double s) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3fs", s);
  return buf;
}

std::string dropStep(double fraction) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%.6f", std::min(1.0, fraction));
  return std::string("  - drop: {set: held, fraction: ") + buf + "}\n";
}

// A lifetime as the scenario reader takes it: whole ms, else whole us (at least 1us).
std::string fmtLifetime(Duration d) {
  if (d.v % 1000000 == 0) return std::to_string(d.v / 1000000) + "ms";
  return std::to_string(std::max<int64_t>(1, (d.v + 500) / 1000)) + "us";
}

bool similar(double a, double b) {
  return std::fabs(a - b) <= std::max(64.0 * 1024, 0.1 * std::max(std::fabs(a), std::fabs(b)));
}

// Consecutive automatic intervals in which the program did the same (rates within 10 %, no
// drop) become one run step.
std::vector<FitInterval> merged(const std::vector<FitInterval>& in) {
  std::vector<FitInterval> out;
  for (const FitInterval& iv : in) {
    if (!out.empty()) {
      FitInterval& last = out.back();
      if (!last.endsInGc && !last.dropAtEnd && (iv.dropFraction == 0 || iv.dropAtEnd) &&
          similar(last.requestBytesPerS, iv.requestBytesPerS) && similar(last.heldGrowBytesPerS, iv.heldGrowBytesPerS)) {
        const double d = last.durationS + iv.durationS;
        if (d > 0) {
          last.requestBytesPerS = (last.requestBytesPerS * last.durationS + iv.requestBytesPerS * iv.durationS) / d;
          last.heldGrowBytesPerS = (last.heldGrowBytesPerS * last.durationS + iv.heldGrowBytesPerS * iv.durationS) / d;
        }
        last.durationS = d;
        last.endsInGc = iv.endsInGc;
        last.dropFraction = iv.dropFraction;
        last.dropAtEnd = iv.dropAtEnd;
        continue;
      }
    }
    out.push_back(iv);
  }
  return out;
}

std::string eraText(GcTraceEra e) {
  return e == GcTraceEra::Go118 ? "Go 1.18+ (stacks and globals in every line)"
                                : "Go 1.11-1.17 (no stacks or globals fields)";
}

}  // namespace

Fit fitGcTrace(const GcTraceLog& log, const FitOptions& o) {
  const std::vector<GcTraceCycle>& cycles = log.cycles;
  if (cycles.empty()) throw FitError("no readable gctrace line (GODEBUG=gctrace=1 prints 'gc N @Ts U%: ...')");
  Fit f;
  f.cycles = static_cast<int>(cycles.size());
  f.gomaxprocs = std::max<int64_t>(1, cycles.back().procs);
  f.go = !o.go.empty() ? o.go : log.era == GcTraceEra::Go118 ? "1.19" : "1.17";
  bool off = false;
  const std::optional<double> gogc = estimateGogc(cycles, off);
  f.gogcEstimated = gogc.has_value() || off;
  f.gogc = off ? -1 : gogc ? std::max<int64_t>(1, std::llround(*gogc)) : 100;

  // Intervals (fit.h): from the end of one cycle to the end of the next.
  const double lifetimeS = static_cast<double>(o.lifetime.v) / 1e9;
  std::vector<FitInterval> raw;
  double prevEnd = 0, prevMarked = 0, held = 0;
  for (const GcTraceCycle& c : cycles) {
    f.forcedCycles += c.forced ? 1 : 0;
    FitInterval iv;
    iv.startS = prevEnd;
    iv.endsInGc = c.forced;
    // A forced cycle's program runs until it calls runtime.GC() (the cycle's start).
    const double until = c.forced ? c.startS : c.endS();
    iv.durationS = std::max(0.0, until - prevEnd);
    // gctrace prints bytes >> 20: the middle of that MB is the unbiased reading.
    const double atEnd = mbToBytes(c.forced ? c.heap0Mb : c.heap1Mb);
    const double alloc = std::max(0.0, atEnd - prevMarked);
    const double marked = mbToBytes(c.heap2Mb);
    // Short-lived objects alive at the mark: those allocated during it or within a lifetime
    // before it, S = k x (what the requests allocate) with k = (lifetime + mark) / interval,
    // where the requests allocate alloc - (marked - S - held): S = k (alloc - marked + held) / (1 - k).
    const double k = iv.durationS > 0 ? (lifetimeS + c.clockMs[1] / 1000.0) / iv.durationS : 1;
    // An interval no longer than a lifetime and the mark (k >= 0.9, a fast-growing heap's
    // cycles): all the requests' allocation is still alive at the mark.
    const double excess = std::max(0.0, alloc - marked + held);  // allocated and not held
    const double shortLived = c.forced ? 0
                              : k < 0.9 ? std::min(marked, k * excess / (1 - k))
                                        : std::min(marked, excess);
    const double target = std::max(0.0, marked - shortLived);
    double grow = target - held;
    if (grow >= 0) {
      grow = std::min(grow, alloc);
      iv.heldGrowBytesPerS = iv.durationS > 0 ? grow / iv.durationS : 0;
      iv.requestBytesPerS = iv.durationS > 0 ? (alloc - grow) / iv.durationS : 0;
      held += iv.durationS > 0 ? grow : 0;
    } else if (c.forced) {
      // The marked heap fell at a runtime.GC(): the program built part of what it held, let
      // go of it and called runtime.GC() (a set dropped, then collected). What the interval
      // allocated but for the short-lived objects went to the held set, and the drop comes at
      // the interval's end, just before the gc step.
      const double kept = std::max(0.0, alloc - std::min(alloc, shortLived));
      iv.heldGrowBytesPerS = iv.durationS > 0 ? kept / iv.durationS : 0;
      iv.requestBytesPerS = iv.durationS > 0 ? (alloc - kept) / iv.durationS : 0;
      held += iv.durationS > 0 ? kept : 0;
      iv.dropFraction = held > 0 ? std::clamp((held - target) / held, 0.0, 1.0) : 0;
      iv.dropAtEnd = true;
      held = target;
    } else {
      // It fell at an automatic cycle, whose start the fitted program's pacer decides: the
      // drop comes first, so that whenever that cycle starts it marks no more than the log's.
      iv.dropFraction = held > 0 ? std::min(1.0, -grow / held) : 0;
      iv.requestBytesPerS = iv.durationS > 0 ? alloc / iv.durationS : 0;
      held = target;
    }
    raw.push_back(iv);
    prevEnd = c.endS();
    prevMarked = marked;
  }
  f.intervals = merged(raw);

  // The scenario file.
  double total = 0;
  for (const FitInterval& iv : f.intervals) total += iv.durationS;
  const int64_t sampleMs = std::max<int64_t>(100, static_cast<int64_t>(std::ceil(total * 1000 / 2000)));
  std::ostringstream y;
  y << "# Fitted by `gomemsim fit` from " << (o.source.empty() ? "a gctrace log" : o.source) << ": " << f.cycles
    << " GC cycles (" << f.forcedCycles << " by runtime.GC()), format " << eraText(log.era) << ".\n"
    << "# Where each figure comes from (sim/fit/fit.h):\n"
    << "#   go: " << (o.go.empty() ? "from the log's format (gctrace does not print the version; --go sets it)" : "given (--go)") << "\n"
    << "#   gogc: " << (off ? "off: the goals are Go's 'no goal'"
                            : gogc ? "the median of (goal - previous marked heap) / (marked + stacks + globals)"
                                   : "100, the default: no cycle's goal tells (every heap under 4 MB)")
    << "\n"
    << "#   gomaxprocs: the 'P' field\n"
    << "#   each run step: one or more intervals between the ends of GC cycles; 'requests' allocates\n"
    << "#     heap1 - previous marked heap, less what the held set grows by; 'held' follows the marked\n"
    << "#     heap less the short-lived objects alive at the mark; a drop step where it fell\n"
    << "#   lifetime of the short-lived objects: " << fmtLifetime(o.lifetime)
    << " (exponential; a log cannot tell it from a bigger held set)\n"
    << "#   sizes: a stated default (64 B to 1 KiB short-lived, 1 KiB held), not from the log\n"
    << "# Not estimated: GOMEMLIMIT (set runtime.memory_limit if the service has one), goroutine\n"
    << "#   stacks beyond the stacks field, RSS and the scavenger.\n";
  y << "name: fitted\n"
    << "about: \"A service fitted from " << (o.source.empty() ? "its gctrace log" : o.source) << " (" << f.cycles
    << " GC cycles) by gomemsim fit.\"\n"
    << "runtime: {go: \"" << f.go << "\", gogc: " << (off ? std::string("off") : std::to_string(f.gogc))
    << ", gomaxprocs: " << f.gomaxprocs << "}\n"
    << "sample_every: " << sampleMs << "ms\n"
    << "steps:\n";
  bool heldExists = false;
  for (const FitInterval& iv : f.intervals) {
    if (iv.dropFraction > 0 && !iv.dropAtEnd && heldExists) y << dropStep(iv.dropFraction);
    if (iv.durationS >= 0.001) {
      y << "  - run:\n      for: " << fmtSeconds(iv.durationS) << "\n";
      const bool req = iv.requestBytesPerS >= 1, grow = iv.heldGrowBytesPerS >= 1;
      if (req || grow) y << "      alloc:\n";
      if (req)
        y << "        - {name: requests, rate: " << fmtRate(iv.requestBytesPerS)
          << ", size: {choice: [64B, 256B, 1KiB]}, lifetime: {exponential: " << fmtLifetime(o.lifetime)
          << "}, pointers: false}\n";
      if (grow) {
        y << "        - {name: held, rate: " << fmtRate(iv.heldGrowBytesPerS) << ", size: 1KiB, set: held, pointers: false}\n";
        heldExists = true;
      }
    }
    if (iv.dropFraction > 0 && iv.dropAtEnd && heldExists) y << dropStep(iv.dropFraction);
    if (iv.endsInGc) y << "  - gc\n";
  }
  f.yaml = y.str();
  return f;
}

std::vector<FitCheck> compareGcTraces(const GcTraceLog& real, const GcTraceLog& fitted) {
  const auto mean = [](const std::vector<GcTraceCycle>& cs, auto field) {
    double s = 0;
    for (const GcTraceCycle& c : cs) s += field(c);
    return cs.empty() ? 0.0 : s / static_cast<double>(cs.size());
  };
  const auto gap = [](const std::vector<GcTraceCycle>& cs) {
    return cs.size() < 2 ? 0.0 : (cs.back().startS - cs.front().startS) / static_cast<double>(cs.size() - 1) * 1000;
  };
  std::vector<FitCheck> out;
  out.push_back({"GCs", static_cast<double>(real.cycles.size()), static_cast<double>(fitted.cycles.size())});
  out.push_back({"heap after mark, mean (MB)", mean(real.cycles, [](const GcTraceCycle& c) { return double(c.heap2Mb); }),
                 mean(fitted.cycles, [](const GcTraceCycle& c) { return double(c.heap2Mb); })});
  out.push_back({"heap at trigger, mean (MB)", mean(real.cycles, [](const GcTraceCycle& c) { return double(c.heap0Mb); }),
                 mean(fitted.cycles, [](const GcTraceCycle& c) { return double(c.heap0Mb); })});
  out.push_back({"heap goal, mean (MB)",
                 mean(real.cycles, [](const GcTraceCycle& c) { return c.goalMb >= kNoGoalMb ? 0.0 : double(c.goalMb); }),
                 mean(fitted.cycles, [](const GcTraceCycle& c) { return c.goalMb >= kNoGoalMb ? 0.0 : double(c.goalMb); })});
  out.push_back({"time between GCs, mean (ms)", gap(real.cycles), gap(fitted.cycles)});
  return out;
}

FittedLog fitGcTraceFile(const std::string& path, FitOptions o) {
  std::ifstream in(path);
  if (!in) throw FitError(path + ": cannot read it");
  FittedLog f{readGcTrace(in, path), {}};
  if (o.source.empty()) o.source = path;
  try {
    f.fit = fitGcTrace(f.log, o);
  } catch (const FitError& e) {
    throw FitError(path + ": " + e.what());
  }
  return f;
}

}  // namespace gomemsim
