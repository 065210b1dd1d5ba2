#include "engine/budget.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>
#include <variant>

#include "workload/workload.h"

namespace gomemsim {
namespace {

constexpr double kMinSlotBytes = 16;  // malloc.go maxTinySize: the tiny allocator's block

double meanLifetimeSeconds(const LifetimeDist& d) {
  switch (d.kind) {
    case LifetimeDist::Kind::Zero: return 0;
    case LifetimeDist::Kind::Fixed: return toSeconds(d.fixed);
    case LifetimeDist::Kind::Exponential: return toSeconds(d.mean);
    case LifetimeDist::Kind::LogNormal: return toSeconds(d.median) * std::exp(d.sigma * d.sigma / 2);
    case LifetimeDist::Kind::Forever: return -1;
  }
  return -1;
}

// Walks the steps, keeping what the program holds by name (live sets, slices, stacks).
class Walker {
 public:
  explicit Walker(const Scenario& s) : s_(s) {}

  RunEstimate walk() {
    gogcOff_ = s_.runtime.gogc < 0;
    maxGogc_ = std::max<double>(100, static_cast<double>(s_.runtime.gogc));
    if (s_.runtime.memory_limit) limit_ = static_cast<double>(s_.runtime.memory_limit->v);
    for (const Step& st : s_.steps) std::visit([this](const auto& b) { step(b); }, st.body);
    return finish();
  }

 private:
  void allocate(double bytes, double meanSize) {
    e_.objects += bytes / std::max(1.0, meanSize);
    allocatedBytes_ += bytes;
    allocatedSlots_ += bytes / std::max(kMinSlotBytes, meanSize);
  }
  double held() const {
    double h = 0;
    for (const auto& [name, b] : held_) h += b;
    return h;
  }
  void peak(double transient) { e_.demandBytes = std::max(e_.demandBytes, held() + transient); }

  void step(const RunStep& r) {
    const double d = toSeconds(r.duration);
    e_.simulatedSeconds += d;
    double transient = 0;
    for (const AllocStream& a : r.alloc) {
      double bytes = a.bytes_per_second * d;
      if (a.total) bytes = std::min(bytes, static_cast<double>(a.total->v));
      allocate(bytes, meanSize(a.size));
      const double life = meanLifetimeSeconds(a.lifetime);
      if (!a.set.empty() || life < 0) held_[a.set.empty() ? "\x01forever" : a.set] += bytes;
      else transient += a.bytes_per_second * std::min(d, life);
    }
    peak(transient);
  }
  void step(const LiveSetStep& l) {
    e_.simulatedSeconds += toSeconds(l.over);
    allocate(static_cast<double>(l.grow_to.v), meanSize(l.size));
    held_[l.name] = std::max(held_[l.name], static_cast<double>(l.grow_to.v));
    peak(0);
  }
  void step(const AppendStep& a) {
    const double bytes = static_cast<double>(a.add.v) * static_cast<double>(a.times);
    e_.objects += 2.0 * static_cast<double>(a.times);  // growslice's new arrays, at most
    allocatedBytes_ += bytes;
    allocatedSlots_ += static_cast<double>(a.times);
    held_[a.slice] += bytes;
    peak(held_[a.slice]);  // growslice copies into a new array while the old one is still held
  }
  void step(const DropStep& d) {
    if (d.all) {
      for (auto& [name, b] : held_) b = 0;
    } else if (auto it = held_.find(d.set); it != held_.end()) {
      it->second *= 1.0 - d.fraction;
    }
  }
  void step(const IdleStep& i) { e_.simulatedSeconds += toSeconds(i.duration); }
  void step(const GoroutinesStep& g) {
    held_["\x01stacks"] = static_cast<double>(g.count) * static_cast<double>(g.stack.v);
    peak(0);
  }
  void step(const SetGcPercentStep& g) {
    if (g.percent < 0) gogcOff_ = true;
    else maxGogc_ = std::max(maxGogc_, static_cast<double>(g.percent));
  }
  void step(const SetMemoryLimitStep& m) {
    if (m.limit) limit_ = std::max(limit_, static_cast<double>(m.limit->v));
  }
  template <typename Other>
  void step(const Other&) {}

  RunEstimate finish() {
    double cap = static_cast<double>(s_.machine.memory.v);
    if (s_.machine.cgroup_limit) cap = std::min(cap, static_cast<double>(s_.machine.cgroup_limit->v));
    double heap = 0;
    if (!gogcOff_) heap = e_.demandBytes * (1 + maxGogc_ / 100);
    else heap = limit_ > 0 ? std::max(e_.demandBytes, limit_) : allocatedBytes_;
    heap = std::max(heap, e_.demandBytes);
    e_.heapBytes = std::min(heap, cap);
    const double bytesPerSlot = allocatedSlots_ > 0 ? allocatedBytes_ / allocatedSlots_ : kMinSlotBytes;
    e_.heapSlots = e_.heapBytes / bytesPerSlot;
    const double every = std::max(1e-9, toSeconds(s_.sample_every));
    e_.samples = e_.simulatedSeconds / every + static_cast<double>(s_.steps.size());
    e_.simulatorBytes = kSimBaseBytes + e_.heapSlots * kSimBytesPerSlot + e_.samples * kSimBytesPerSample;
    e_.wallSeconds = (e_.objects * kSimNsPerObject + e_.samples * kSimNsPerSample) * 1e-9;
    return e_;
  }

  const Scenario& s_;
  RunEstimate e_;
  std::map<std::string, double> held_;
  double allocatedBytes_ = 0, allocatedSlots_ = 0;
  bool gogcOff_ = false;
  double maxGogc_ = 100;
  double limit_ = 0;
};

std::string fmt(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, unit);
  return buf;
}

}  // namespace

RunEstimate estimateRun(const Scenario& s) { return Walker(s).walk(); }

std::optional<std::string> refusal(const Scenario& s, const RunEstimate& e, const RunLimits& limits) {
  std::ostringstream o;
  if (e.demandBytes > kGoHeapAddressSpace) {
    o << s.file << ": the program holds about " << humanBytes(e.demandBytes)
      << " at once, more than Go can map: the heap's address space is 256 TiB on linux/amd64 "
         "(malloc.go heapAddrBits = 48), so no Go program can run this and no flag allows it; "
         "make the live sets smaller";
    return o.str();
  }
  const double memory = e.simulatorBytes * std::max(1, limits.jobs);
  if (memory > limits.maxMemoryBytes) {
    o << s.file << ": simulating this needs about " << humanBytes(memory) << " of memory ("
      << humanBytes(e.heapBytes) << " of simulated heap in " << fmt(e.heapSlots / 1e6, "M") << " slots, "
      << fmt(e.samples / 1e6, "M") << " samples";
    if (limits.jobs > 1) o << ", " << limits.jobs << " simulations at once";
    o << "), more than the limit of " << humanBytes(limits.maxMemoryBytes)
      << " (--max-memory, by default this machine's available memory); pass --max-memory SIZE to "
         "allow more, or shorten the run, lengthen sample_every or shrink the heap";
    return o.str();
  }
  if (e.wallSeconds > limits.maxWallSeconds) {
    o << s.file << ": simulating this would take at least " << humanSeconds(e.wallSeconds) << " ("
      << fmt(e.objects / 1e9, "G") << " objects allocated over " << humanSeconds(e.simulatedSeconds)
      << " of simulated time), more than the limit of " << humanSeconds(limits.maxWallSeconds)
      << " (--max-time, default 24h); pass --max-time DURATION to allow it, or shorten the run";
    return o.str();
  }
  return std::nullopt;
}

void checkBudget(const Scenario& s, const RunLimits& limits) {
  if (auto why = refusal(s, estimateRun(s), limits)) throw RunRefused(*why);
}

std::optional<double> availableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return std::nullopt;
}

std::string humanBytes(double b) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int i = 0;
  while (b >= 1024 && i < 6) {
    b /= 1024;
    ++i;
  }
  return fmt(b, units[i]);
}

std::string humanSeconds(double s) {
  if (s < 120) return fmt(s, "s");
  if (s < 7200) return fmt(s / 60, "min");
  if (s < 86400 * 3) return fmt(s / 3600, "h");
  if (s < 86400 * 365 * 3) return fmt(s / 86400, "days");
  return fmt(s / (86400 * 365.25), "years");
}

}  // namespace gomemsim
