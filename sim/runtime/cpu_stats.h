// cpu_stats: where the simulated process's CPU time goes, in the classes Go 1.20+ reports as
// /cpu/classes/* (runtime/metrics; Go 1.20-1.27 mstats.go cpuStats).
//
// Models: the runtime's own split of GOMAXPROCS x wall time -
//   gc       mark assists, dedicated and fractional mark workers, idle mark workers, and the
//            stop-the-world pauses (GOMAXPROCS x their duration: accumulateGCPauseTime);
//   scavenge the background scavenger and the allocation-time (memory-limit) scavenging;
//   idle     Ps with nothing to run;
//   user     the rest, computed as Go computes it: total - gc - scavenge - idle. It holds the
//            program's own work and the sweeping that the allocating goroutine and bgsweep do.
// Go accumulates these at each mark termination only (mgc.go gcMarkTermination calls
// work.cpuStats.accumulate(now, true); metrics.go cpuStatsAggregate.compute copies that
// snapshot), so a reader sees them as of the last completed GC cycle; CpuAccount keeps the
// running sums and publishes them at mark termination.
// How the simulator fills the classes (runtime.cc advanceTo): in each time step the program
// keeps mutatorCpus Ps busy (the engine's figure: its own work, and one P while it is late or
// held up in sweeping and assists), the mark workers do their share of the mark work, bgsweep uses
// what it swept; the Ps left over are idle. The background scavenger's batches and the share of
// the allocating goroutine's sweeping that bgsweep did beside it (Runtime::absorbMutatorSweep)
// are taken out of the idle time that follows.
// Does not model: the scheduler's and sysmon's own time, time in system calls and page faults
// (Go cannot tell it from user time either), GOMAXPROCS changes.
#pragma once

#include <algorithm>

namespace gomemsim {

// Cumulative CPU nanoseconds per class (mstats.go cpuStats).
struct CpuStats {
  double gcAssistNs = 0;     // /cpu/classes/gc/mark/assist
  double gcDedicatedNs = 0;  // /cpu/classes/gc/mark/dedicated: dedicated and fractional workers
  double gcIdleNs = 0;       // /cpu/classes/gc/mark/idle
  double gcPauseNs = 0;      // /cpu/classes/gc/pause
  double scavengeAssistNs = 0;  // /cpu/classes/scavenge/assist
  double scavengeBgNs = 0;      // /cpu/classes/scavenge/background
  double idleNs = 0;            // /cpu/classes/idle
  double totalNs = 0;           // /cpu/classes/total

  double gcTotalNs() const { return gcAssistNs + gcDedicatedNs + gcIdleNs + gcPauseNs; }
  double scavengeTotalNs() const { return scavengeAssistNs + scavengeBgNs; }
  // /cpu/classes/user: mstats.go accumulate, UserTime = TotalTime - (GC + scavenge + idle).
  double userNs() const { return totalNs - gcTotalNs() - scavengeTotalNs() - idleNs; }
};

// The running sums, and the snapshot a runtime/metrics reader sees.
class CpuAccount {
 public:
  explicit CpuAccount(double gomaxprocs) : procs_(gomaxprocs) {}

  // A time step of dtNs in which the program, its assists and bgsweep used busyNs of CPU and the
  // mark workers markWorkerNs. The Ps left over are idle, less what fromIdle still holds.
  void step(double dtNs, double busyNs, double markWorkerNs) {
    live_.totalNs += procs_ * dtNs;
    double idle = std::max(0.0, procs_ * dtNs - busyNs - markWorkerNs);
    const double used = std::min(idle, fromIdleNs_);
    fromIdleNs_ -= used;
    idle -= used;
    live_.idleNs += idle;
  }
  // A stop-the-world pause of pauseNs (the simulated clock does not move for it).
  void pause(double pauseNs) {
    live_.gcPauseNs += procs_ * pauseNs;
    live_.totalNs += procs_ * pauseNs;
  }
  void markWork(double assistNs, double dedicatedNs, double idleNs) {
    live_.gcAssistNs += assistNs;
    live_.gcDedicatedNs += dedicatedNs;
    live_.gcIdleNs += idleNs;
  }
  void scavengeBackground(double ns) { live_.scavengeBgNs += ns; }
  void scavengeAssist(double ns) { live_.scavengeAssistNs += ns; }
  // CPU used on Ps that would otherwise be idle, outside any step's busyNs: the share of the
  // allocating goroutine's sweeping bgsweep did beside it, the background scavenger's batches.
  // Taken from the idle time of the steps that follow.
  void fromIdle(double ns) { fromIdleNs_ += std::max(0.0, ns); }

  // gcMarkTermination: work.cpuStats.accumulate(now, true).
  void publish() { published_ = live_; }
  const CpuStats& published() const { return published_; }
  const CpuStats& live() const { return live_; }

 private:
  double procs_;
  double fromIdleNs_ = 0;
  CpuStats live_, published_;
};

}  // namespace gomemsim
