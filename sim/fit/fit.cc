#include "fit/fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "fit/metrics_series.h"
#include "goversion/goversion.h"
#include "runtime/runtime.h"
#include "sizeclass/span_layout.h"

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

// GOGC from cycles' goals: (goal - previous marked) / (previous marked + stacks + globals). The
// sizes are whole MB (bytes >> 20): a small heap's ratio is off by up to a few percent either
// way. Where most cycles agree (the median within 2 % of the ratio of the sums, which weighs the
// big heaps), the ratio of the sums; else the median, robust to a cycle whose goal something
// else set (a GOGC change).
struct GoalSample {
  double goal, prevMarked, base;  // MB
};
std::optional<double> gogcOf(const std::vector<GoalSample>& cycles) {
  if (cycles.empty()) return std::nullopt;
  std::vector<double> g;
  double growth = 0, bases = 0;
  for (const GoalSample& c : cycles) {
    g.push_back(100.0 * (c.goal - c.prevMarked) / c.base);
    growth += c.goal - c.prevMarked;
    bases += c.base;
  }
  const double pooled = 100.0 * growth / bases, med = median(g);
  return std::fabs(pooled - med) <= 0.02 * std::max(1.0, std::fabs(med)) ? pooled : med;
}

// What the goals say (fit.h): GOGC, off, and the heap goal a memory limit set.
struct GoalFit {
  std::optional<double> gogc;
  bool off = false;
  std::optional<double> limitGoalMb;  // the goal the limit held the heap to
};
GoalFit fitGoals(const std::vector<GcTraceCycle>& cycles) {
  std::vector<GoalSample> samples;
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
    if (p.heap2Mb < 4 || c.goalMb <= 4) continue;  // the 4 MB minimum heap sets the goal
    samples.push_back({static_cast<double>(c.goalMb), static_cast<double>(p.heap2Mb),
                       static_cast<double>(p.heap2Mb + c.stacksMb.value_or(0) + c.globalsMb.value_or(0))});
  }
  GoalFit f;
  f.off = automatic > 0 && noGoal * 2 > automatic;
  if (samples.empty()) return f;
  // A memory limit (Go 1.19+ mgcpacer.go memoryLimitHeapGoal) caps the goal: the cycles whose
  // goal is within 10 % of the highest are capped; GOGC comes from the others. Capped cycles
  // the GOGC goal would put more than 5 % above their goal (every one when no other cycle
  // tells GOGC) were set by the limit; three or more, and at least half the capped ones, make
  // a limit, at their median goal. Without any uncapped cycle the cap must have held while the
  // marked heap moved by a fifth or more (a steady heap's goals sit still under GOGC too), and
  // GOGC is off: a GOGC goal would have followed the marked heap below the cap.
  double top = 0;
  for (const GoalSample& c : samples) top = std::max(top, c.goal);
  std::vector<GoalSample> capped, free;
  for (const GoalSample& c : samples) (c.goal >= 0.9 * top ? capped : free).push_back(c);
  const std::optional<double> gFree = free.size() >= 2 ? gogcOf(free) : std::nullopt;
  std::vector<double> limitSet;
  double lowMarked = std::numeric_limits<double>::infinity(), highMarked = 0;
  for (const GoalSample& c : capped) {
    lowMarked = std::min(lowMarked, c.prevMarked);
    highMarked = std::max(highMarked, c.prevMarked);
  }
  // With no uncapped cycle, only a cap that stayed while the marked heap moved (by a fifth or
  // more) is a limit: a steady heap's goals sit still under GOGC too.
  const bool capHeld = gFree || highMarked > 1.2 * lowMarked;
  for (const GoalSample& c : capped)
    if (capHeld && (!gFree || c.prevMarked + c.base * *gFree / 100 > 1.05 * c.goal)) limitSet.push_back(c.goal);
  if (limitSet.size() >= 3 && limitSet.size() * 2 >= capped.size()) {
    f.limitGoalMb = median(limitSet);
    f.gogc = gFree;
    f.off = !gFree;
    return f;
  }
  f.gogc = gogcOf(samples);
  return f;
}

// GOMEMLIMIT from the goal it set: goal = limit - non-heap memory, less a headroom (Go 1.19-1.20
// 1 MiB, 1.21+ 3 % of the goal: pacer.cc kMemoryLimitHeadroom, headroomPercent). The non-heap
// memory (runtime metadata, span fragmentation, stacks, the runtime's own mappings) is not in
// gctrace: a stated 5 % of the goal, plus the stacks field. Rounded to a multiple of 64 MiB
// within 3 % (limits are set as round figures), else to the MiB.
int64_t memoryLimitFrom(double goalMb, double stacksMb, const GoRelease& r) {
  const double goal = goalMb * kMiB;
  const bool percent = r.pacer != "go1.19";  // Go 1.21+: memoryLimitHeapGoalHeadroomPercent
  const double beforeHeadroom = percent ? goal / 0.97 : goal + kMiB;
  const double limit = beforeHeadroom + 0.05 * goal + stacksMb * kMiB;
  const double step = 64 * kMiB;
  const double round = std::round(limit / step) * step;
  if (round > 0 && std::fabs(round - limit) <= 0.03 * limit) return static_cast<int64_t>(round);
  return static_cast<int64_t>(std::round(limit / kMiB) * kMiB);
}

// gomemsim's mark CPU (Runtime::startCycle) of one object of `size`, as the release lays it out:
// held ones reached in allocation order with their share of a span, short-lived ones scattered;
// each behind one pointer (kRefBytesPerObject); a pointerful one also scanned, through heap bits
// or the malloc header's type (SpanLayout::scannedThroughType). elem: the bytes it occupies.
class MarkPricer {
 public:
  explicit MarkPricer(const std::string& go)
      : release_(goRelease(go)), greenTea_(greenTeaFor(release_, "")),
        cost_(greenTea_ ? kMarkCostGreenTea : kMarkCostClassic), layout_(SpanLayout::forRelease(release_, greenTea_)) {}
  double perObject(int64_t size, bool pointers, bool inOrder, double& elem) const {
    const double ref = static_cast<double>(kRefBytesPerObject) * cost_.scanNsPerByte;
    if (layout_.isLarge(Bytes(size), pointers)) {  // its own span, rounded to pages
      elem = static_cast<double>((size + kPageSize - 1) / kPageSize * kPageSize);
      double ns = (inOrder ? cost_.nsInOrder + cost_.nsPerHeldSpan : cost_.nsScattered) + ref;
      if (pointers) ns += elem * (layout_.scannedThroughType(Bytes(size), true) ? cost_.typedScanNsPerByte : cost_.scanNsPerByte);
      return ns;
    }
    const int cls = layout_.classFor(Bytes(size), pointers);
    elem = static_cast<double>(layout_.classes().cls(cls).size);
    double ns = (inOrder ? cost_.nsInOrder + cost_.nsPerHeldSpan / layout_.nelems(cls, !pointers) : cost_.nsScattered) + ref;
    if (pointers) ns += elem * (layout_.scannedThroughType(Bytes(static_cast<int64_t>(elem)), true) ? cost_.typedScanNsPerByte : cost_.scanNsPerByte);
    return ns;
  }
  // Per marked byte, over a mix drawn uniformly by count.
  double perByte(const std::vector<int64_t>& sizes, bool pointers, bool inOrder) const {
    double ns = 0, bytes = 0, elem = 0;
    for (const int64_t s : sizes) {
      ns += perObject(s, pointers, inOrder, elem);
      bytes += elem;
    }
    return ns / bytes;
  }

 private:
  const GoRelease& release_;
  bool greenTea_;
  MarkCost cost_;
  SpanLayout layout_;
};

// The fitted program's objects: a stated default (64 B to 1 KiB short-lived, 1 KiB held), or one
// size for both when the marks are too cheap per byte for objects that small (fit.h).
struct ObjectSizes {
  std::vector<int64_t> shortLived = {64, 256, 1024};
  std::vector<int64_t> held = {1024};
  bool estimated = false;
};

// The mark prices per byte of those objects; with a share p of every object pointerful.
struct MarkPrices {
  double heldNoscan = 0, heldPointers = 0, shortNoscan = 0, shortPointers = 0;
  MarkPrices(const MarkPricer& m, const ObjectSizes& s)
      : heldNoscan(m.perByte(s.held, false, true)), heldPointers(m.perByte(s.held, true, true)),
        shortNoscan(m.perByte(s.shortLived, false, false)), shortPointers(m.perByte(s.shortLived, true, false)) {}
  double held(double p) const { return heldNoscan + p * (heldPointers - heldNoscan); }
  double shortLived(double p) const { return shortNoscan + p * (shortPointers - shortNoscan); }
};

// What the steady cycles' mark CPU tells (fit.h); nullopt members where no cycle tells. Marks
// cheaper per byte than a held set of 1 KiB noscan objects (under 90 % of its price) are of bigger
// objects: the size whose price is nearest, 2 KiB to 64 MiB by powers of two, for every object.
// Else the pointerful share is found first, as if every marked byte were held; what a wholly
// pointerful heap still leaves unexplained is short-lived objects, dearer per byte
// (scattered) than held ones, and gives their lifetime.
struct MarkFit {
  ObjectSizes sizes;
  std::optional<double> pointerShare;
  std::optional<double> lifetimeS;
};
MarkFit fitFromMarkCpu(const std::vector<GcTraceCycle>& cycles, const MarkPricer& pricer) {
  struct Steady {
    double cpuNs, marked, rate, markS;
  };
  std::vector<Steady> steady;
  for (size_t i = 1; i < cycles.size(); ++i) {
    const GcTraceCycle& c = cycles[i];
    const GcTraceCycle& p = cycles[i - 1];
    const double interval = c.endS() - p.endS();
    const double markS = c.clockMs[1] / 1000.0;
    const double cpuNs = (c.cpuMs[1] + c.cpuMs[2] + c.cpuMs[3]) * 1e6;
    if (c.forced || p.forced || c.heap2Mb < 4 || interval <= 2 * markS || cpuNs <= 0) continue;
    const double alloc = std::max(0.0, mbToBytes(c.heap1Mb) - mbToBytes(p.heap2Mb));
    steady.push_back({cpuNs, mbToBytes(c.heap2Mb), alloc / interval, markS});
  }
  MarkFit f;
  if (steady.empty()) return f;
  const double stackNs = static_cast<double>(kRuntimeStackBytes) * kMarkCostClassic.scanNsPerByte;
  std::vector<double> perByte;
  for (const Steady& s : steady) perByte.push_back(std::max(0.0, s.cpuNs - stackNs) / s.marked);
  const double c = median(perByte);
  if (c < 0.9 * pricer.perByte(f.sizes.held, false, true)) {
    int64_t best = 2048;
    double bestGap = std::numeric_limits<double>::infinity();
    for (int64_t size = 2048; size <= (int64_t{64} << 20); size *= 2) {
      const double gap = std::fabs(std::log(std::max(c, 1e-12) / pricer.perByte({size}, false, true)));
      if (gap < bestGap) bestGap = gap, best = size;
    }
    f.sizes = ObjectSizes{{best}, {best}, true};
    f.pointerShare = 0;
    return f;
  }
  const MarkPrices price(pricer, f.sizes);
  std::vector<double> shares;
  for (const Steady& s : steady)
    shares.push_back(std::clamp((s.cpuNs - stackNs - s.marked * price.heldNoscan) /
                                    (s.marked * (price.heldPointers - price.heldNoscan)), 0.0, 1.0));
  f.pointerShare = median(shares);
  const double held = price.held(*f.pointerShare), shortLived = price.shortLived(*f.pointerShare);
  std::vector<double> lifetimes;
  for (const Steady& s : steady) {
    if (s.rate <= 0 || shortLived <= held) continue;
    const double shortBytes = std::clamp((s.cpuNs - stackNs - s.marked * held) / (shortLived - held), 0.0, s.marked);
    lifetimes.push_back(std::max(0.0, shortBytes / s.rate - s.markS));
  }
  if (!lifetimes.empty()) f.lifetimeS = median(lifetimes);
  return f;
}

// A size as the scenario reader takes it: 64B, 1KiB, 4MiB.
std::string fmtSize(int64_t b) {
  if (b % (1 << 20) == 0) return std::to_string(b >> 20) + "MiB";
  if (b % 1024 == 0) return std::to_string(b >> 10) + "KiB";
  return std::to_string(b) + "B";
}
// size: 1KiB, or size: {choice: [64B, 256B, 1KiB]}
std::string fmtSizes(const std::vector<int64_t>& sizes) {
  if (sizes.size() == 1) return "size: " + fmtSize(sizes[0]);
  std::string out = "size: {choice: [";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + fmtSize(sizes[i]);
  return out + "]}";
}

std::string fmtRate(double bytesPerS) { return std::to_string(std::llround(bytesPerS)) + "B/s"; }
std::string fmtSeconds(double s) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3fs", s);
  return buf;
}

std::string dropStep(double fraction) {
  if (fraction < 1e-6) return "";  // less than the scenario's six decimals can say: nothing
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
      // A drop at last's start stays there; one at iv's end cannot join it in one step.
      const bool dropAtStart = last.dropFraction > 0 && !last.dropAtEnd;
      if (!last.endsInGc && !last.dropAtEnd && last.idleTailS == 0 && iv.idleTailS == 0 &&
          (iv.dropFraction == 0 || (iv.dropAtEnd && !dropAtStart)) &&
          similar(last.requestBytesPerS, iv.requestBytesPerS) && similar(last.heldGrowBytesPerS, iv.heldGrowBytesPerS)) {
        const double d = last.durationS + iv.durationS;
        if (d > 0) {
          last.requestBytesPerS = (last.requestBytesPerS * last.durationS + iv.requestBytesPerS * iv.durationS) / d;
          last.heldGrowBytesPerS = (last.heldGrowBytesPerS * last.durationS + iv.heldGrowBytesPerS * iv.durationS) / d;
        }
        last.durationS = d;
        last.endsInGc = iv.endsInGc;
        if (!dropAtStart) {
          last.dropFraction = iv.dropFraction;
          last.dropAtEnd = iv.dropAtEnd;
        }
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
  if (cycles.empty())
    throw FitError(o.inputKind == "gctrace log" ? "no readable gctrace line (GODEBUG=gctrace=1 prints 'gc N @Ts U%: ...')"
                                                : "no GC cycle in the series (/gc/cycles/total:gc-cycles never grows)");
  Fit f;
  f.cycles = static_cast<int>(cycles.size());
  f.gomaxprocs = std::max<int64_t>(1, cycles.back().procs);
  f.go = !o.go.empty() ? o.go : log.era == GcTraceEra::Go118 ? "1.19" : "1.17";
  GoalFit goals = fitGoals(cycles);
  if (o.knownSettings) {  // stated by the input: nothing to estimate
    goals.off = o.knownGogc && *o.knownGogc < 0;
    goals.gogc = o.knownGogc && *o.knownGogc >= 0 ? std::optional<double>(static_cast<double>(*o.knownGogc)) : std::nullopt;
    goals.limitGoalMb.reset();
    if (o.knownMemoryLimit) f.memoryLimit = Bytes(*o.knownMemoryLimit);
  }
  const bool off = goals.off;
  const std::optional<double> gogc = goals.gogc;
  if (goals.limitGoalMb) {
    f.memoryLimit = Bytes(memoryLimitFrom(*goals.limitGoalMb, static_cast<double>(cycles.back().stacksMb.value_or(0)),
                                          goRelease(f.go)));
  }
  f.gogcEstimated = gogc.has_value() || off;
  f.gogc = off ? -1 : gogc ? std::max<int64_t>(1, std::llround(*gogc)) : 100;

  // The mark CPU (fit.h): the held set's pointerful share, the short-lived objects' lifetime.
  const MarkFit markFit = fitFromMarkCpu(cycles, MarkPricer(f.go));
  f.shortSizes = markFit.sizes.shortLived;
  f.heldSizes = markFit.sizes.held;
  f.sizesEstimated = markFit.sizes.estimated;
  f.heldPointerShare = markFit.pointerShare.value_or(0);
  if (o.lifetime) {
    f.lifetime = *o.lifetime;
  } else if (markFit.lifetimeS) {
    // To the ms above 10 ms, else to the us (the scenario reader's units).
    const double ns = std::max(1e3, *markFit.lifetimeS * 1e9);
    f.lifetime = Duration(ns >= 1e7 ? std::llround(ns / 1e6) * 1000000 : std::llround(ns / 1e3) * 1000);
    f.lifetimeEstimated = true;
  }
  // Intervals (fit.h): from the end of one cycle to the end of the next.
  const double lifetimeS = static_cast<double>(f.lifetime.v) / 1e9;
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
    // A mark that found nothing (0 MB) held nothing: the whole set was let go.
    const double marked = c.heap2Mb == 0 ? 0 : mbToBytes(c.heap2Mb);
    // sysmon's two-minute GC (c.periodic) starts by the clock, not the heap: the program
    // allocated what it did at the pace it had (the previous interval's), then went quiet
    // until that GC (the interval's idle tail).
    const double prevRate = raw.empty() ? 0 : raw.back().requestBytesPerS + raw.back().heldGrowBytesPerS;
    const double active = c.periodic && prevRate > 0 ? std::min(iv.durationS, alloc / prevRate) : iv.durationS;
    if (c.periodic) iv.idleTailS = iv.durationS - active;
    // Short-lived objects alive at the mark: those allocated during it or within a lifetime
    // before it, S = k x (what the requests allocate) with k = (lifetime + mark) / interval,
    // where the requests allocate alloc - (marked - S - held): S = k (alloc - marked + held) / (1 - k).
    const double k = iv.durationS > 0 ? (lifetimeS + c.clockMs[1] / 1000.0) / iv.durationS : 1;
    // An interval no longer than a lifetime and the mark (k >= 0.9, a fast-growing heap's
    // cycles): all the requests' allocation is still alive at the mark.
    const double excess = std::max(0.0, alloc - marked + held);  // allocated and not held
    const bool quietAtMark = c.forced || iv.idleTailS > lifetimeS;  // no request in flight
    const double shortLived = quietAtMark ? 0
                              : k < 0.9 ? std::min(marked, k * excess / (1 - k))
                                        : std::min(marked, excess);
    const double target = std::max(0.0, marked - shortLived);
    double grow = target - held;
    if (grow >= 0) {
      grow = std::min(grow, alloc);
      iv.heldGrowBytesPerS = active > 0 ? grow / active : 0;
      iv.requestBytesPerS = active > 0 ? (alloc - grow) / active : 0;
      held += active > 0 ? grow : 0;
    } else if (c.forced || c.periodic) {
      // The marked heap fell at a cycle the heap did not start (runtime.GC(), sysmon's): the
      // program built part of what it held, let go of it, then the GC came (a set dropped,
      // then collected). What the interval allocated but for the short-lived objects went
      // to the held set, and the drop comes at the end of its allocation, before the gc step
      // or the quiet before sysmon's GC.
      const double kept = std::max(0.0, alloc - std::min(alloc, shortLived));
      iv.heldGrowBytesPerS = active > 0 ? kept / active : 0;
      iv.requestBytesPerS = active > 0 ? (alloc - kept) / active : 0;
      held += active > 0 ? kept : 0;
      iv.dropFraction = held > 0 ? std::clamp((held - target) / held, 0.0, 1.0) : 0;
      iv.dropAtEnd = true;
      held = target;
    } else {
      // It fell at an automatic cycle, whose start the fitted program's pacer decides: the
      // drop comes first, so that whenever that cycle starts it marks no more than the log's.
      iv.dropFraction = held > 0 ? std::min(1.0, -grow / held) : 0;
      iv.requestBytesPerS = active > 0 ? alloc / active : 0;
      held = target;
    }
    raw.push_back(iv);
    prevEnd = c.endS();
    prevMarked = marked;
  }
  // A log that ends with the kernel's OOM kill (within an hour of the last cycle, so on the
  // same clock): the program went on at its last pace until then.
  const bool ranUntilKill = log.killedAtS && *log.killedAtS > prevEnd && *log.killedAtS - prevEnd < 3600 && !raw.empty();
  if (ranUntilKill) {
    FitInterval tail;
    tail.startS = prevEnd;
    tail.durationS = *log.killedAtS - prevEnd;
    tail.requestBytesPerS = raw.back().requestBytesPerS;
    tail.heldGrowBytesPerS = raw.back().heldGrowBytesPerS;
    raw.push_back(tail);
  }
  f.intervals = merged(raw);

  // The scenario file.
  double total = 0;
  for (const FitInterval& iv : f.intervals) total += iv.durationS;
  const int64_t sampleMs = std::max<int64_t>(100, static_cast<int64_t>(std::ceil(total * 1000 / 2000)));
  std::ostringstream y;
  const bool series = o.inputKind != "gctrace log";
  y << "# Fitted by `gomemsim fit` from " << (o.source.empty() ? "a gctrace log" : o.source) << " (" << o.inputKind
    << "): " << f.cycles << " GC cycles (" << f.forcedCycles << " by runtime.GC())"
    << (series ? "" : ", format " + eraText(log.era)) << ".\n"
    << "# Where each figure comes from (sim/fit/fit.h):\n"
    << "#   go: " << (!o.go.empty() ? "given (--go)" : series ? "1.19, a default (--go sets it)"
                                                        : "from the log's format (gctrace does not print the version; --go sets it)")
    << "\n"
    << "#   gogc: "
    << (o.knownSettings ? "as the series states it (/gc/gogc:percent)"
        : off           ? "off: the goals are Go's 'no goal'"
        : gogc          ? "(goal - previous marked heap) / (marked + stacks + globals) over the cycles"
                        : "100, the default: no cycle's goal tells (every heap under 4 MB)")
    << "\n"
    << (o.knownSettings && f.memoryLimit ? "#   memory_limit: as the series states it (/gc/gomemlimit:bytes)\n"
        : f.memoryLimit ? "#   memory_limit: from the goal it held the heap to (the cycles at a common cap), with a stated 5 %\n"
                          "#     of non-heap memory; gogc from the other cycles, off when there are none\n"
                        : "")
    << "#   gomaxprocs: " << (series ? "/sched/gomaxprocs:threads" : "the 'P' field") << "\n"
    << (ranUntilKill ? "#   the end: the kernel's OOM kill in the log; the program ran at its last pace until then\n" : "")
    << (log.cgroupLimitBytes ? "#   machine.cgroup_limit: the kernel's 'memory: usage ..., limit ...' line\n" : "")
    << "#   each run step: one or more intervals between the ends of GC cycles; 'requests' allocates\n"
    << "#     heap1 - previous marked heap, less what the held set grows by; 'held' follows the marked\n"
    << "#     heap less the short-lived objects alive at the mark; a drop step where it fell\n"
    << "#   lifetime of the short-lived objects: " << fmtLifetime(f.lifetime) << " (exponential; "
    << (o.lifetime ? "given (--lifetime)"
        : f.lifetimeEstimated ? "from the mark CPU the held set does not explain, as gomemsim prices it"
                              : "the default: no steady cycle's mark tells")
    << ")\n"
    << "#   pointerful share of the objects: " << std::llround(f.heldPointerShare * 100)
    << " % (" << (markFit.pointerShare ? "from the mark CPU per marked byte" : "no steady cycle's mark tells") << ")\n"
    << "#   sizes: " << (f.sizesEstimated ? "one size for every object, whose mark costs what the log's marks cost per byte"
                                     : "a stated default (64 B to 1 KiB short-lived, 1 KiB held)")
    << "\n"
    << "# Not estimated: goroutine stacks beyond the stacks field, RSS and the scavenger.\n";
  y << "name: fitted\n"
    << "about: \"A service fitted from " << (o.source.empty() ? "its gctrace log" : o.source) << " (" << f.cycles
    << " GC cycles) by gomemsim fit.\"\n"
    << "runtime: {go: \"" << f.go << "\", gogc: " << (off ? std::string("off") : std::to_string(f.gogc))
    << (f.memoryLimit ? ", memory_limit: " + fmtSize(f.memoryLimit->v) : std::string())
    << ", gomaxprocs: " << f.gomaxprocs << "}\n"
    << (log.cgroupLimitBytes ? "machine: {cgroup_limit: " + fmtSize(*log.cgroupLimitBytes) + "}\n" : std::string())
    << "sample_every: " << sampleMs << "ms\n"
    << "steps:\n";
  bool heldExists = false;
  for (const FitInterval& iv : f.intervals) {
    if (iv.dropFraction > 0 && !iv.dropAtEnd && heldExists) y << dropStep(iv.dropFraction);
    const double runS = iv.durationS - iv.idleTailS;
    if (runS >= 0.001) {
      y << "  - run:\n      for: " << fmtSeconds(runS) << "\n";
      const bool req = iv.requestBytesPerS >= 1, grow = iv.heldGrowBytesPerS >= 1;
      if (req || grow) y << "      alloc:\n";
      // The pointerful share as a second stream of each kind (into the same set for the held
      // one: a drop takes the same fraction of both).
      const double p = f.heldPointerShare < 0.005 ? 0 : f.heldPointerShare > 0.995 ? 1 : f.heldPointerShare;
      const std::string life = ", " + fmtSizes(f.shortSizes) + ", lifetime: {exponential: " + fmtLifetime(f.lifetime) + "}";
      if (req && p < 1)
        y << "        - {name: requests, rate: " << fmtRate(iv.requestBytesPerS * (1 - p)) << life << ", pointers: false}\n";
      if (req && p > 0)
        y << "        - {name: requests_pointers, rate: " << fmtRate(iv.requestBytesPerS * p) << life << ", pointers: true}\n";
      if (grow) {
        if (p < 1)
          y << "        - {name: held, rate: " << fmtRate(iv.heldGrowBytesPerS * (1 - p))
            << ", " << fmtSizes(f.heldSizes) << ", set: held, pointers: false}\n";
        if (p > 0)
          y << "        - {name: held_pointers, rate: " << fmtRate(iv.heldGrowBytesPerS * p)
            << ", " << fmtSizes(f.heldSizes) << ", set: held, pointers: true}\n";
        heldExists = true;
      }
    }
    if (iv.dropFraction > 0 && iv.dropAtEnd && heldExists) y << dropStep(iv.dropFraction);
    if (iv.idleTailS >= 0.001) y << "  - idle: " << fmtSeconds(iv.idleTailS) << "\n";
    if (iv.endsInGc) y << "  - gc\n";
  }
  // The log ends with its last cycle; a second more lets a cycle the fitted program runs a
  // little later than the log's (sysmon's two-minute GC drifts by its polling) happen too.
  y << "  - idle: 1s\n";
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
  std::string first;
  std::getline(in, first);
  in.clear();
  in.seekg(0);
  FittedLog f;
  if (looksLikeMetricsSeries(first)) {
    try {
      MetricsSeries m = readMetricsSeries(in, path);
      f.log = std::move(m.log);
      o.knownGogc = m.gogc;
      o.knownMemoryLimit = m.memoryLimit;
      o.knownSettings = m.gogc.has_value();
      o.inputKind = "runtime/metrics series";
    } catch (const MetricsSeriesError& e) {
      throw FitError(e.what());
    }
  } else {
    f.log = readGcTrace(in, path);
  }
  if (o.source.empty()) o.source = path;
  try {
    f.fit = fitGcTrace(f.log, o);
  } catch (const FitError& e) {
    throw FitError(path + ": " + e.what());
  }
  return f;
}

}  // namespace gomemsim
