// gctrace: reads what GODEBUG=gctrace=1 and GODEBUG=scavtrace=1 print, as a service's logs keep
// them, into cycles and scavenger lines. It is the first half of `gomemsim fit` (fit.h), which
// turns a real service's log into a scenario.
//
// The formats, by the release that prints them (runtime/mgc.go gcMarkTermination and
// mgcscavenge.go printScavTrace of each release):
//   gc N @Ts U%: a+b+c ms clock, d+e/f/g+h ms cpu, X->Y->Z MB, G MB goal, P P [(forced)]
//       Go 1.11-1.17 (the heap at the start of the cycle, at its end, marked live; the goal)
//   ..., G MB goal, S MB stacks, L MB globals, P P [(forced)]
//       Go 1.18+ (the stacks and globals the pacer counts since 1.18)
//   gc N @Ts U% (checking for goroutine leaks): ...   Go 1.26+ with the leak checker on
//   scav W KiB work, T KiB total, U% util [(forced)]                  Go 1.14, 1.19-1.20
//   scav G W KiB work, T KiB total, U% util [(forced)]                Go 1.15-1.18
//   scav B KiB work (bg), E KiB work (eager), T KiB now, U% util [(forced)]   Go 1.21+
//   GC forced                                          before sysmon's two-minute GC
//   [ T] memory: usage NkB, limit LkB, failcnt F       the kernel's cgroup OOM report
//   [ T] ...: Killed process P (NAME) ...              its kill
// A trace line may sit anywhere in a log line (after a timestamp or a logger's prefix). A line
// that starts a trace line but cannot be read (cut off, a field missing) is reported with its
// line number and skipped; every other line is not gctrace and is ignored.
//
// Not read: the pre-1.11 formats (they differ only in the fields used here from Go 1.5 on, and
// gomemsim models 1.11+), GODEBUG=gcpacertrace and the Go 1.5-1.12 scvg lines.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace gomemsim {

// One GC cycle as gctrace prints it. Sizes are MB as printed (bytes >> 20).
struct GcTraceCycle {
  int line = 0;         // 1-based line of the log
  int64_t n = 0;        // the cycle's number (memstats.numgc)
  double startS = 0;    // @ seconds since the program started
  int utilPct = 0;      // GC CPU since the program started
  double clockMs[3] = {0, 0, 0};  // sweep termination, concurrent mark, mark termination
  double cpuMs[5] = {0, 0, 0, 0, 0};  // STW, assists, background workers, idle workers, STW
  int64_t heap0Mb = 0, heap1Mb = 0, heap2Mb = 0;  // at trigger, at mark end, marked live
  int64_t goalMb = 0;
  std::optional<int64_t> stacksMb, globalsMb;  // Go 1.18+
  int64_t procs = 0;
  bool forced = false;  // runtime.GC() or debug.FreeOSMemory()
  // sysmon's two-minute GC (gcTriggerTime): the line after a "GC forced" line (proc.go
  // forcegchelper prints it as it starts the cycle).
  bool periodic = false;
  double endS() const { return startS + (clockMs[0] + clockMs[1] + clockMs[2]) / 1000.0; }
};

// One scavtrace line.
struct ScavTraceLine {
  int line = 0;
  int64_t workKiB = 0;   // released since the last line (bg + eager on Go 1.21+)
  int64_t totalKiB = 0;  // released and not reused ("total" before 1.21, "now" from 1.21)
  int utilPct = 0;
  bool forced = false;
};

enum class GcTraceEra { Unknown, Go111, Go118 };

struct GcTraceLog {
  std::vector<GcTraceCycle> cycles;
  std::vector<ScavTraceLine> scav;
  int periodicMarks = 0;               // "GC forced" lines: sysmon's two-minute GCs
  std::vector<std::string> problems;   // "NAME:LINE: what could not be read"
  GcTraceEra era = GcTraceEra::Unknown;  // from the cycles' format (Go117 vs Go118 fields)
  // The kernel's OOM kill, when its lines are in the log (as gomemsim's gctrace.log writes them,
  // on the program's clock, or dmesg's): "[ T] ... Killed process ..." at T seconds, and a
  // cgroup's "memory: usage NkB, limit LkB" (mm/memcontrol.c mem_cgroup_print_oom_meminfo).
  std::optional<double> killedAtS;
  std::optional<int64_t> cgroupLimitBytes;
};

// Reads a log; `name` is how problems name it. Never throws on content.
GcTraceLog readGcTrace(std::istream& in, const std::string& name);

// Parses one gctrace line (the text from "gc N @" on); nullopt with `why` set if it cannot.
std::optional<GcTraceCycle> parseGcTraceLine(const std::string& text, std::string& why);

}  // namespace gomemsim
