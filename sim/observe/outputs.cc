#include "observe/outputs.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "observe/heap_pprof.h"
#include "observe/report.h"
#include "sizeclass/sizeclass.h"

namespace gomemsim {
namespace {

// A byte count as GOMEMLIMIT writes it: the largest of TiB, GiB, MiB, KiB that divides it, else
// plain bytes (runtime/debug's parseByteCount reads either).
std::string goByteText(Bytes b) {
  static const std::pair<int64_t, const char*> kUnits[] = {{int64_t{1} << 40, "TiB"}, {int64_t{1} << 30, "GiB"},
                                                             {int64_t{1} << 20, "MiB"}, {int64_t{1} << 10, "KiB"}};
  for (const auto& [unit, name] : kUnits)
    if (b.v >= unit && b.v % unit == 0) return std::to_string(b.v / unit) + name;
  return std::to_string(b.v);
}

std::string mib(Bytes b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", toMiB(b));
  return buf;
}

std::string jsonEscape(const std::string& s) {
  std::string o;
  for (const char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (c == '\n') o += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o;
}

void breakdownJson(std::ostringstream& o, const MemSnapshot& m) {
  o << "{\"rss\": " << m.rss.v << ", \"reachable\": " << m.reachable.v << ", \"unswept_garbage\": "
    << m.unsweptGarbage.v << ", \"span_free\": " << m.spanFree.v << ", \"retained_free\": " << m.retainedFree.v
    << ", \"lazy_free\": " << m.lazyFree.v << ", \"stack_inuse\": " << m.stackInuse.v
    << ", \"runtime_overhead\": " << m.runtimeOverhead.v << ", \"baseline\": " << m.baseline.v
    << ", \"heap_alloc\": " << m.heapAlloc.v << ", \"heap_inuse\": " << m.heapInuse.v
    << ", \"heap_released\": " << m.heapReleased.v << ", \"heap_goal\": " << m.heapGoal.v
    << ", \"pprof_inuse\": " << m.pprofInuse.v << ", \"num_gc\": " << m.numGc << "}";
}

void printBreakdown(std::ostream& out, const MemSnapshot& m) {
  out << "    reachable objects      " << mib(m.reachable) << "\n"
      << "    garbage not yet swept  " << mib(m.unsweptGarbage) << "\n"
      << "    free space in spans    " << mib(m.spanFree) << "\n"
      << "    free pages retained    " << mib(m.retainedFree) << "\n"
      << "    released, LazyFree     " << mib(m.lazyFree) << "\n"
      << "    goroutine stacks       " << mib(m.stackInuse) << "\n"
      << "    runtime metadata       " << mib(m.runtimeOverhead) << "\n"
      << "    binary and baseline    " << mib(m.baseline) << "\n";
}

// A double as JSON: the shortest text that reads back as the same value.
std::string jsonNumber(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// A /cpu/classes value: float64 seconds (metrics.go nsToSec), to the microsecond.
std::string cpuSeconds(double ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6f", ns * 1e-9);
  return buf;
}

// One runtime/metrics value of a snapshot, as the release's metrics.go computes it (Go 1.26.8
// runtime/metrics.go; the memory classes as Go 1.19's), as metrics.csv writes it. Every name
// runtimeMetricNames can give has a case; an unknown name is a programming error.
std::string runtimeMetric(std::string_view name, const MemSnapshot& m) {
  const auto u = [](int64_t v) { return std::to_string(static_cast<uint64_t>(v)); };
  // Go 1.20+ metrics.go: the CPU classes of work.cpuStats (cpu_stats.h).
  const CpuStats& c = m.cpu;
  if (name == "/cpu/classes/gc/mark/assist:cpu-seconds") return cpuSeconds(c.gcAssistNs);
  if (name == "/cpu/classes/gc/mark/dedicated:cpu-seconds") return cpuSeconds(c.gcDedicatedNs);
  if (name == "/cpu/classes/gc/mark/idle:cpu-seconds") return cpuSeconds(c.gcIdleNs);
  if (name == "/cpu/classes/gc/pause:cpu-seconds") return cpuSeconds(c.gcPauseNs);
  if (name == "/cpu/classes/gc/total:cpu-seconds") return cpuSeconds(c.gcTotalNs());
  if (name == "/cpu/classes/idle:cpu-seconds") return cpuSeconds(c.idleNs);
  if (name == "/cpu/classes/scavenge/assist:cpu-seconds") return cpuSeconds(c.scavengeAssistNs);
  if (name == "/cpu/classes/scavenge/background:cpu-seconds") return cpuSeconds(c.scavengeBgNs);
  if (name == "/cpu/classes/scavenge/total:cpu-seconds") return cpuSeconds(c.scavengeTotalNs());
  if (name == "/cpu/classes/total:cpu-seconds") return cpuSeconds(c.totalNs);
  if (name == "/cpu/classes/user:cpu-seconds") return cpuSeconds(c.userNs());
  if (name == "/memory/classes/heap/objects:bytes") return u(m.heapAlloc.v);
  if (name == "/memory/classes/heap/unused:bytes") return u(m.heapInuse.v - m.heapAlloc.v);
  if (name == "/memory/classes/heap/free:bytes") return u(m.heapIdle.v - m.heapReleased.v);
  if (name == "/memory/classes/heap/released:bytes") return u(m.heapReleased.v);
  if (name == "/memory/classes/heap/stacks:bytes") return u(m.stackInuse.v);
  if (name == "/memory/classes/metadata/mspan/inuse:bytes") return u(m.mspanInuse.v);
  if (name == "/memory/classes/metadata/mspan/free:bytes") return u(m.mspanSys.v - m.mspanInuse.v);
  // Every other piece of runtime metadata gomemsim models (heap arenas, the page allocator's
  // chunks and summaries, a fixed share for mcaches, work buffers and the rest).
  if (name == "/memory/classes/metadata/other:bytes") return u(m.gcSys.v - m.mspanSys.v);
  if (name == "/memory/classes/total:bytes") return u(m.sys.v);  // the classes above add up to Sys
  if (name == "/gc/heap/allocs:bytes") return u(m.totalAlloc.v);
  if (name == "/gc/heap/allocs:objects") return u(m.mallocs - m.tinyAllocs);  // tiny blocks, not tiny objects
  if (name == "/gc/heap/frees:bytes") return u(m.totalFree.v);
  if (name == "/gc/heap/frees:objects") return u(m.frees - m.tinyAllocs);
  if (name == "/gc/heap/tiny/allocs:objects") return u(m.tinyAllocs);
  if (name == "/gc/heap/objects:objects") return u(m.heapObjects);
  if (name == "/gc/heap/goal:bytes") return u(m.heapGoal.v);
  if (name == "/gc/cycles/automatic:gc-cycles") return u(m.numGc - m.numForcedGc);
  if (name == "/gc/cycles/forced:gc-cycles") return u(m.numForcedGc);
  if (name == "/gc/cycles/total:gc-cycles") return u(m.numGc);
  if (name == "/gc/limiter/last-enabled:gc-cycle") return u(m.gcLimiterLastEnabledCycle);
  if (name == "/sched/gomaxprocs:threads") return u(m.gomaxprocs);
  if (name == "/gc/heap/live:bytes") return u(m.heapMarked.v);  // gcController.heapMarked
  if (name == "/gc/gogc:percent") return u(m.gcPercent < 0 ? -1 : m.gcPercent);  // uint64(-1) when off
  if (name == "/gc/gomemlimit:bytes") return u(m.memoryLimit.v);
  throw std::logic_error("metrics.csv: no value for " + std::string(name));
}

void memstatsJson(std::ostringstream& o, const MemSnapshot& m, const SizeClassTable& classes) {
  // runtime.MemStats's fields in mstats.go's order (unchanged from Go 1.11 to 1.27).
  const auto field = [&o](const char* name, int64_t v) { o << '"' << name << "\":" << v << ','; };
  o << '{';
  field("Alloc", m.heapAlloc.v);
  field("TotalAlloc", m.totalAlloc.v);
  field("Sys", m.sys.v);
  field("Lookups", 0);  // always 0 since Go 1.9
  field("Mallocs", m.mallocs);
  field("Frees", m.frees);
  field("HeapAlloc", m.heapAlloc.v);
  field("HeapSys", m.heapSys.v);
  field("HeapIdle", m.heapIdle.v);
  field("HeapInuse", m.heapInuse.v);
  field("HeapReleased", m.heapReleased.v);
  field("HeapObjects", m.heapObjects);
  field("StackInuse", m.stackInuse.v);
  field("StackSys", m.stackInuse.v);  // OS thread stacks (the rest of StackSys) are not modelled
  field("MSpanInuse", m.mspanInuse.v);
  field("MSpanSys", m.mspanSys.v);
  field("MCacheInuse", 0);  // mcaches, the profiling buckets and OtherSys are in GCSys's share
  field("MCacheSys", 0);
  field("BuckHashSys", 0);
  field("GCSys", m.gcSys.v - m.mspanSys.v);
  field("OtherSys", 0);
  field("NextGC", m.heapGoal.v);
  field("LastGC", 0);  // wall-clock time: not simulated
  field("PauseTotalNs", m.pauseTotalNs);
  // mgc.go gcMarkTermination: the pause of GC n at PauseNs[(n-1) % 256]; every simulated cycle
  // stops the world for kStwNs in all. PauseEnd holds wall-clock times: 0.
  o << "\"PauseNs\":[";
  for (int i = 0; i < 256; ++i) o << (i ? "," : "") << (i < m.numGc ? kStwNs : 0);
  o << "],\"PauseEnd\":[";
  for (int i = 0; i < 256; ++i) o << (i ? "," : "") << 0;
  o << "],";
  field("NumGC", m.numGc);
  field("NumForcedGC", m.numForcedGc);
  o << "\"GCCPUFraction\":" << jsonNumber(m.gcCpuFraction) << ",\"EnableGC\":true,\"DebugGC\":false,\"BySize\":[";
  // The first 61 size classes (class 0 is size 0); per-class counts are not kept: 0.
  for (int i = 0; i < 61; ++i)
    o << (i ? "," : "") << "{\"Size\":" << classes.cls(i).size << ",\"Mallocs\":0,\"Frees\":0}";
  o << "]}";
}

}  // namespace

std::string metricsCsv(const SimResult& r, const GoRelease& go) {
  const std::vector<std::string_view> names = runtimeMetricNames(go);
  if (names.empty()) return {};
  std::ostringstream o;
  o << "time_s,step";
  for (const std::string_view n : names) o << ',' << n;
  o << '\n';
  char buf[32];
  for (const TraceRow& row : r.rows) {
    std::snprintf(buf, sizeof buf, "%.4f", row.mem.timeS);
    o << buf << ',' << row.step;
    for (const std::string_view n : names) o << ',' << runtimeMetric(n, row.mem);
    o << '\n';
  }
  return o.str();
}

std::string memstatsJsonl(const SimResult& r, const GoRelease& go) {
  const SizeClassTable& classes = SizeClassTable::forRelease(go);
  std::ostringstream o;
  char buf[32];
  for (const TraceRow& row : r.rows) {
    std::snprintf(buf, sizeof buf, "%.4f", row.mem.timeS);
    o << "{\"time_s\":" << buf << ",\"step\":\"" << jsonEscape(row.step) << "\",\"memstats\":";
    memstatsJson(o, row.mem, classes);
    o << "}\n";
  }
  return o.str();
}

Summary summarize(const SimResult& r) {
  Summary s;
  if (r.rows.empty()) return s;
  size_t peak = 0;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    if (r.rows[i].mem.rss > r.rows[peak].mem.rss) peak = i;
    s.peakPprof = std::max(s.peakPprof, r.rows[i].mem.pprofInuse);
  }
  s.peak = r.rows[peak].mem;
  s.peakStep = r.rows[peak].step;
  s.end = r.rows.back().mem;
  s.simulatedSeconds = s.end.timeS;
  s.oomKilled = s.end.oomKilled;
  s.interruptedBy = r.interruptedBy;
  s.plannedSeconds = r.plannedSeconds;
  return s;
}

std::string gcCountWords(const MemSnapshot& m) {
  return std::to_string(m.numGc) + " GC" + (m.numGc == 1 ? "" : "s") + " (" + std::to_string(m.numPeriodicGc) +
         " periodic, " + std::to_string(m.numForcedGc) + " by runtime.GC())";
}

// Runtime::limiterOnNs_ (runtime.cc advanceTo): the simulated time during which
// GcCpuLimiter::limiting() was true, i.e. from the update whose GC time filled the bucket
// (GOMAXPROCS x 1 s of GC CPU beyond the program's) to the first update that did not.
std::string limiterOnWords(const MemSnapshot& m) {
  if (m.gcLimiterEnabledS <= 0) return "";
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "GC CPU limiter on for %.1f s of simulated time (the time its bucket of GOMAXPROCS x 1 s of CPU was "
                "full: GC had used more than half of the non-idle CPU; while on, mark assists are skipped, which caps "
                "GC near 50 %% of the busy CPU), last on during GC %lld (/gc/limiter/last-enabled)",
                m.gcLimiterEnabledS, static_cast<long long>(m.gcLimiterLastEnabledCycle));
  return buf;
}

// Runtime::limiterOnIdleNs_: of that time, the stretches with no goroutine running.
std::string limiterIdleWords(const MemSnapshot& m) {
  if (m.gcLimiterEnabledS <= 0 || m.gcLimiterEnabledIdleS <= 0) return "";
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "%.1f s of that with the program idle: the model counts idle time as the runtime does, neither "
                "filling nor draining the bucket, so the limiter stays on, limiting nothing, until the program runs "
                "again",
                m.gcLimiterEnabledIdleS);
  return buf;
}

std::string traceCsv(const SimResult& r) {
  std::ostringstream o;
  o << "time_s,step,rss,heap_alloc,heap_inuse,heap_idle,heap_released,heap_sys,heap_goal,stack_inuse,sys,"
       "num_gc,gc_cpu_fraction,pprof_inuse,pprof_inuse_sampled,reachable,unswept_garbage,span_free,"
       "retained_free,lazy_free,runtime_overhead,baseline,released_background,released_eager,released_forced,"
       "rss_minus_lazyfree,gc_limiter_fill,anon_huge_pages,gc_sys,gc_limiter_last_enabled,"
       "cpu_total_s,cpu_user_s,cpu_idle_s,cpu_gc_s,cpu_gc_assist_s,cpu_gc_dedicated_s,cpu_gc_idle_s,"
       "cpu_gc_pause_s,cpu_scavenge_s\n";
  char buf[64];
  for (const TraceRow& row : r.rows) {
    const MemSnapshot& m = row.mem;
    std::snprintf(buf, sizeof buf, "%.4f", m.timeS);
    o << buf << ',' << row.step << ',' << m.rss.v << ',' << m.heapAlloc.v << ',' << m.heapInuse.v << ','
      << m.heapIdle.v << ',' << m.heapReleased.v << ',' << m.heapSys.v << ',' << m.heapGoal.v << ','
      << m.stackInuse.v << ',' << m.sys.v << ',' << m.numGc << ',';
    std::snprintf(buf, sizeof buf, "%.6f", m.gcCpuFraction);
    o << buf << ',' << m.pprofInuse.v << ',' << m.pprofInuseSampled.v << ',' << m.reachable.v << ','
      << m.unsweptGarbage.v << ',' << m.spanFree.v << ',' << m.retainedFree.v << ',' << m.lazyFree.v << ','
      << m.runtimeOverhead.v << ',' << m.baseline.v << ',' << m.releasedBackground.v << ',' << m.releasedEager.v
      << ',' << m.releasedForced.v << ',' << (m.rss - m.lazyFree).v << ',';
    std::snprintf(buf, sizeof buf, "%.6f", m.gcLimiterFill);
    o << buf << ',' << m.anonHugePages.v << ',' << m.gcSys.v << ',' << m.gcLimiterLastEnabledCycle;
    const CpuStats& c = m.cpu;
    for (const double ns : {c.totalNs, c.userNs(), c.idleNs, c.gcTotalNs(), c.gcAssistNs, c.gcDedicatedNs, c.gcIdleNs,
                            c.gcPauseNs, c.scavengeTotalNs()})
      o << ',' << cpuSeconds(ns);
    o << '\n';
  }
  return o.str();
}

std::string summaryJson(const Scenario& s, const SimResult& r, const Summary& sum) {
  std::ostringstream o;
  o << "{\n  \"scenario\": \"" << jsonEscape(s.name) << "\",\n  \"go\": \"" << jsonEscape(r.goVersion)
    << "\",\n  \"go_given\": " << (r.goVersionGiven ? "true" : "false") << ",\n  \"go_release\": \""
    << jsonEscape(r.goVersion.empty() ? std::string() : std::string(goRelease(r.goVersion).name))
    << "\",\n  \"gogc\": " << s.runtime.gogc << ",\n  \"gomemlimit\": "
    << (s.runtime.memory_limit ? std::to_string(s.runtime.memory_limit->v) : std::string("null"))
    << ",\n  \"cgroup_limit\": " << (s.machine.cgroup_limit ? std::to_string(s.machine.cgroup_limit->v) : std::string("null"))
    << ",\n  \"machine_memory\": " << s.machine.memory.v << ",\n  \"cpu_speed\": " << s.machine.cpu_speed
    << ",\n  \"gomaxprocs\": " << gomaxprocsOf(s)
    << ",\n  \"seed\": " << s.seed << ",\n  \"partial\": " << (sum.interruptedBy ? "true" : "false") << ",\n  \"scavenger\": \"" << r.scavenger << "\",\n  \"pacer\": \""
    << r.pacer << "\",\n  \"madvise\": \"" << r.madvise << "\",\n  \"simulated_seconds\": " << sum.simulatedSeconds
    << ",\n  \"samples\": " << r.rows.size() << ",\n  \"num_gc\": " << sum.end.numGc
    << ",\n  \"num_forced_gc\": " << sum.end.numForcedGc << ",\n  \"num_periodic_gc\": " << sum.end.numPeriodicGc << ",\n  \"gc_cpu_fraction\": " << sum.end.gcCpuFraction
    << ",\n  \"peak_rss\": " << sum.peak.rss.v << ",\n  \"peak_rss_time_s\": " << sum.peak.timeS
    << ",\n  \"peak_pprof_inuse\": " << sum.peakPprof.v << ",\n  \"final_rss\": " << sum.end.rss.v
    << ",\n  \"released_bytes\": {\"background\": " << sum.end.releasedBackground.v << ", \"eager\": "
    << sum.end.releasedEager.v << ", \"forced\": " << sum.end.releasedForced.v << "},\n  \"thp\": \"" << jsonEscape(s.machine.thp)
    << "\",\n  \"lazy_free_reclaimed\": " << sum.end.lazyFreeReclaimed.v
    << ",\n  \"gc_limiter\": {\"enabled_seconds\": " << sum.end.gcLimiterEnabledS
    << ", \"enabled_idle_seconds\": " << sum.end.gcLimiterEnabledIdleS << ", \"last_enabled_gc\": "
    << sum.end.gcLimiterLastEnabledCycle << ", \"fill_at_end\": " << sum.end.gcLimiterFill << "},\n  \"oom_kill\": ";
  if (sum.oomKilled) {
    o << "{\"time_s\": " << sum.end.timeS << ", \"by\": \"" << (sum.end.oomCgroup ? "cgroup" : "machine")
      << "\", \"limit\": " << sum.end.oomLimit.v << ", \"rss\": " << sum.end.rss.v << "}";
  } else {
    o << "null";
  }
  o << ",\n  \"interrupted\": ";
  if (sum.interruptedBy) {
    o << "{\"signal\": \"" << signalName(sum.interruptedBy) << "\", \"time_s\": " << sum.end.timeS
      << ", \"planned_seconds\": " << sum.plannedSeconds << "}";
  } else {
    o << "null";
  }
  o << ",\n  \"at_peak\": ";
  breakdownJson(o, sum.peak);
  o << ",\n  \"at_end\": ";
  breakdownJson(o, sum.end);
  o << "\n}\n";
  return o.str();
}

// machine.cpu_speed as given: "1.9", "0.5", "2".
static std::string fmtFactor(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

void printSummary(std::ostream& out, const Scenario& s, const SimResult& r, const Summary& sum) {
  out << "gomemsim: " << s.name << " (go " << r.goVersion
      << (r.goVersionGiven ? "" : ", the newest release modelled: the scenario gives no go:") << ", GOGC="
      << (s.runtime.gogc < 0 ? std::string("off") : std::to_string(s.runtime.gogc))
      << (s.runtime.memory_limit ? ", GOMEMLIMIT=" + goByteText(*s.runtime.memory_limit) : std::string())
      << (s.machine.cgroup_limit ? ", cgroup memory.max " + goByteText(*s.machine.cgroup_limit) : std::string())
      << ", GOMAXPROCS=" << gomaxprocsOf(s) << ", scavenger " << r.scavenger << ", madvise " << r.madvise
      << (s.machine.cpu_speed != 1.0 ? ", CPU speed " + fmtFactor(s.machine.cpu_speed) + "x" : std::string())
      << ", seed " << s.seed << ")\n";
  char buf[320];
  std::snprintf(buf, sizeof buf, "  simulated %.1f s, %s, GC CPU %.2f %%\n", sum.simulatedSeconds,
                gcCountWords(sum.end).c_str(), sum.end.gcCpuFraction * 100);
  out << buf;
  if (sum.interruptedBy) {
    std::snprintf(buf, sizeof buf, "  INTERRUPTED by %s at %.1f s of %.1f s planned: every figure and file is partial\n",
                  signalName(sum.interruptedBy).c_str(), sum.end.timeS, sum.plannedSeconds);
    out << buf;
  }
  if (sum.oomKilled) {
    std::snprintf(buf, sizeof buf, "  OOM-KILLED at %.3f s by the %s at %s with RES %s\n", sum.end.timeS,
                  sum.end.oomCgroup ? "memory cgroup's OOM killer (memory.max)" : "kernel's OOM killer (machine memory)",
                  mib(sum.end.oomLimit).c_str(), mib(sum.end.rss).c_str());
    out << buf;
  }
  if (const std::string on = limiterOnWords(sum.end); !on.empty()) out << "  " << on << "\n";
  if (const std::string idle = limiterIdleWords(sum.end); !idle.empty()) out << "    " << idle << "\n";
  if (sum.end.lazyFreeReclaimed.v > 0) out << "  kernel reclaimed " << mib(sum.end.lazyFreeReclaimed) << " of LazyFree (MADV_FREE) pages\n";
  std::snprintf(buf, sizeof buf, "%.1f s", sum.peak.timeS);
  out << "  peak RES " << mib(sum.peak.rss) << " at " << buf << " (" << sum.peakStep
      << "); peak pprof heap " << mib(sum.peakPprof) << "\n";
  out << "  RES at peak, by what holds it:\n";
  printBreakdown(out, sum.peak);
  out << (sum.oomKilled ? "  when killed: RES " : "  at end: RES ") << mib(sum.end.rss) << ", pprof heap " << mib(sum.end.pprofInuse) << ", HeapAlloc "
      << mib(sum.end.heapAlloc) << ", HeapReleased " << mib(sum.end.heapReleased) << "\n";
  printBreakdown(out, sum.end);
}

void writeFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write " + tmp);
    f << content;
    if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

std::string gctraceLog(const SimResult& r) {
  std::string out;
  for (const auto& l : r.gctrace) out += l + "\n";
  return out;
}

void writeOutputs(const std::string& dir, const Scenario& s, const SimResult& r) {
  std::filesystem::create_directories(dir);
  const Summary sum = summarize(r);
  const std::string gctrace = gctraceLog(r);
  // Render everything first, then rename into place.
  // The release's row as the run resolved it (a result made by hand: its go version's row).
  const GoRelease& go = r.release ? *r.release : goRelease(r.goVersion.empty() ? kNewestGo : r.goVersion);
  const std::string csv = traceCsv(r), json = summaryJson(s, r, sum), html = reportHtml(s, r);
  const std::string metrics = metricsCsv(r, go), memstats = memstatsJsonl(r, go);
  const auto profiles = heapProfileFiles(s, r);
  writeFileAtomic(dir + "/trace.csv", csv);
  writeFileAtomic(dir + "/gctrace.log", gctrace);
  writeFileAtomic(dir + "/summary.json", json);
  writeFileAtomic(dir + "/report.html", html);
  writeFileAtomic(dir + "/memstats.jsonl", memstats);
  // Go <= 1.15 has no runtime/metrics: no metrics.csv (nor an earlier run's left behind).
  if (metrics.empty()) std::filesystem::remove(dir + "/metrics.csv");
  else writeFileAtomic(dir + "/metrics.csv", metrics);
  std::set<std::string> written;
  for (const auto& [name, content] : profiles) {
    writeFileAtomic(dir + "/" + name, content);
    written.insert(name);
  }
  // An earlier run with more (or other) steps left step profiles this run did not write.
  removeStaleFiles(dir, "heap-step-", ".pb.gz", written);
}

void removeStaleFiles(const std::string& dir, const std::string& prefix, const std::string& suffix,
                      const std::set<std::string>& keep) {
  std::vector<std::filesystem::path> stale;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.starts_with(prefix) && name.ends_with(suffix) && !keep.count(name))
      stale.push_back(e.path());
  }
  for (const auto& path : stale) std::filesystem::remove(path);
}

}  // namespace gomemsim
