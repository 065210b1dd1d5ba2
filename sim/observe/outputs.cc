#include "observe/outputs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "observe/heap_pprof.h"
#include "observe/report.h"

namespace gomemsim {
namespace {

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

}  // namespace

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

std::string traceCsv(const SimResult& r) {
  std::ostringstream o;
  o << "time_s,step,rss,heap_alloc,heap_inuse,heap_idle,heap_released,heap_sys,heap_goal,stack_inuse,sys,"
       "num_gc,gc_cpu_fraction,pprof_inuse,pprof_inuse_sampled,reachable,unswept_garbage,span_free,"
       "retained_free,lazy_free,runtime_overhead,baseline,released_background,released_eager,released_forced,"
       "rss_minus_lazyfree,gc_limiter_fill,anon_huge_pages,gc_sys,gc_limiter_last_enabled\n";
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
    o << buf << ',' << m.anonHugePages.v << ',' << m.gcSys.v << ',' << m.gcLimiterLastEnabledCycle << '\n';
  }
  return o.str();
}

std::string summaryJson(const Scenario& s, const SimResult& r, const Summary& sum) {
  std::ostringstream o;
  o << "{\n  \"scenario\": \"" << jsonEscape(s.name) << "\",\n  \"go\": \"" << jsonEscape(r.goVersion)
    << "\",\n  \"go_given\": " << (r.goVersionGiven ? "true" : "false") << ",\n  \"go_release\": \""
    << jsonEscape(r.goVersion.empty() ? std::string() : std::string(goRelease(r.goVersion).name))
    << "\",\n  \"gogc\": " << s.runtime.gogc << ",\n  \"gomaxprocs\": " << gomaxprocsOf(s)
    << ",\n  \"seed\": " << s.seed << ",\n  \"partial\": " << (sum.interruptedBy ? "true" : "false") << ",\n  \"scavenger\": \"" << r.scavenger << "\",\n  \"pacer\": \""
    << r.pacer << "\",\n  \"madvise\": \"" << r.madvise << "\",\n  \"simulated_seconds\": " << sum.simulatedSeconds
    << ",\n  \"samples\": " << r.rows.size() << ",\n  \"num_gc\": " << sum.end.numGc
    << ",\n  \"num_forced_gc\": " << sum.end.numForcedGc << ",\n  \"gc_cpu_fraction\": " << sum.end.gcCpuFraction
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

void printSummary(std::ostream& out, const Scenario& s, const SimResult& r, const Summary& sum) {
  out << "gomemsim: " << s.name << " (go " << r.goVersion
      << (r.goVersionGiven ? "" : ", the newest release modelled: the scenario gives no go:") << ", GOGC="
      << (s.runtime.gogc < 0 ? std::string("off") : std::to_string(s.runtime.gogc)) << ", GOMAXPROCS="
      << gomaxprocsOf(s) << ", scavenger " << r.scavenger << ", madvise " << r.madvise << ", seed " << s.seed
      << ")\n";
  char buf[320];
  std::snprintf(buf, sizeof buf, "  simulated %.1f s, %lld GCs (%lld forced), GC CPU %.2f %%\n", sum.simulatedSeconds,
                static_cast<long long>(sum.end.numGc), static_cast<long long>(sum.end.numForcedGc),
                sum.end.gcCpuFraction * 100);
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
  if (sum.end.gcLimiterEnabledS > 0) {
    // The limiter's flag: set while GC used more than half of the non-idle CPU for long enough
    // to fill its bucket (GOMAXPROCS x 1 s); assists stop while it is set.
    std::snprintf(buf, sizeof buf,
                  "  GC CPU limiter: enabled for %.1f s, last during GC %lld (/gc/limiter/last-enabled); it caps GC at "
                  "~50 %% of the busy CPU by turning assists off\n",
                  sum.end.gcLimiterEnabledS, static_cast<long long>(sum.end.gcLimiterLastEnabledCycle));
    out << buf;
    if (sum.end.gcLimiterEnabledIdleS > 0) {
      std::snprintf(buf, sizeof buf,
                    "    %.1f s of that with the program idle: idle time neither fills nor drains the limiter, so it "
                    "stays enabled, limiting nothing, until the program runs again\n",
                    sum.end.gcLimiterEnabledIdleS);
      out << buf;
    }
  }
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

void writeOutputs(const std::string& dir, const Scenario& s, const SimResult& r) {
  std::filesystem::create_directories(dir);
  const Summary sum = summarize(r);
  std::string gctrace;
  for (const auto& l : r.gctrace) gctrace += l + "\n";
  // Render everything first, then rename into place.
  const std::string csv = traceCsv(r), json = summaryJson(s, r, sum), html = reportHtml(s, r);
  const auto profiles = heapProfileFiles(s, r);
  writeFileAtomic(dir + "/trace.csv", csv);
  writeFileAtomic(dir + "/gctrace.log", gctrace);
  writeFileAtomic(dir + "/summary.json", json);
  writeFileAtomic(dir + "/report.html", html);
  for (const auto& [name, content] : profiles) writeFileAtomic(dir + "/" + name, content);
}

}  // namespace gomemsim
