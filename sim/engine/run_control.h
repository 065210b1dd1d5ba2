// run_control: how far a run has got, and how the user stops it.
//
// A RunMonitor is handed to a Simulation (Simulation::setMonitor). The engine shows it every
// sample as it is taken (sampled) and asks it, each time the clock moves, whether to stop
// (stopRequested). A stopped run ends as an OOM-killed one does: with a last sample, labelled
// "interrupted", and SimResult::interruptedBy set to the signal, so the outputs made from it are
// whole files that say they are partial. A monitor only reads the run; it never changes it.
//
// Stop requests come from the process's signals: installStopHandlers() makes the first SIGINT
// (Ctrl-C) or SIGTERM only record itself (stopSignal), so the command can end the run at its
// next step, write complete files and exit 128 + the signal's number; a second one takes the
// signal's default action and kills the process at once (only files under a temporary name can
// then be left, never a half-written output).
//
// ProgressLine is the monitor of a command run at a terminal: a line on stderr, rewritten in
// place at most twice a second once the run has taken a second, with the simulated time done,
// how many times faster than real time it runs, and the wall time left. The wall clock is handed
// in, so tests drive it.
// Does not model: progress inside one clock step (a single step is at most a sample interval).
#pragma once

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "units/units.h"

namespace gomemsim {

struct TraceRow;  // engine/simulation.h

class RunMonitor {
 public:
  virtual ~RunMonitor() = default;
  // Every sample, as it is taken (its time is the simulated time reached).
  virtual void sampled(const TraceRow& row) = 0;
  // The signal asking the run to end now, or 0 to go on (checked each time the clock moves).
  virtual int stopRequested() const = 0;
};

// Installs the SIGINT and SIGTERM handlers described above (once per process).
void installStopHandlers();
// The signal that asked the run to stop, or 0.
int stopSignal();
// What a handler does on the first signal; for tests.
void requestStop(int sig);
// "SIGINT", "SIGTERM", or "signal N".
std::string signalName(int sig);

// Thrown when the user stops what cannot end with partial outputs (compare, validate, any command
// before it runs); the command exits 128 + signal, writing nothing. what(): "stopped by SIGTERM "
// followed by `when` ("before running; nothing written").
class RunInterrupted : public std::runtime_error {
 public:
  RunInterrupted(int sig, const std::string& when);
  int signal() const { return sig_; }

 private:
  int sig_;
};
// Throws RunInterrupted if a stop was asked before the run began.
void throwIfStopRequested();

// "simulated 12.3 s of 60.0 s (20 %), 41x real time, 1.2 s left": plannedS 0 (unknown) leaves out
// the share and the time left.
std::string progressText(double simulatedS, double plannedS, double wallS);

class ProgressLine : public RunMonitor {
 public:
  using WallClock = std::function<double()>;  // seconds, monotonic
  ProgressLine(std::ostream& out, double plannedS, WallClock wall);
  void sampled(const TraceRow& row) override;
  int stopRequested() const override { return stopSignal(); }
  // Erases the line, if one was printed.
  void finish();

 private:
  std::ostream& out_;
  double plannedS_;
  WallClock wall_;
  double startS_;
  double lastPrintS_ = -1;
  bool printed_ = false;
};

inline constexpr double kProgressAfterS = 1.0;   // no line for runs shorter than this
inline constexpr double kProgressEveryS = 0.5;   // the line is rewritten at most this often

// A monitor that only passes the stop request on (no line): runs not at a terminal, --quiet.
class StopOnSignal : public RunMonitor {
 public:
  void sampled(const TraceRow&) override {}
  int stopRequested() const override { return stopSignal(); }
};

// For tests and fuzzing: audits the runtime's accounting at every sample (Runtime::audit) and
// keeps what failed, with the sample's time and step. Never stops the run.
class Runtime;
class AccountingAudit : public RunMonitor {
 public:
  explicit AccountingAudit(const Runtime& rt) : rt_(rt) {}
  void sampled(const TraceRow& row) override;
  int stopRequested() const override { return 0; }
  const std::vector<std::string>& failures() const { return failures_; }
  int64_t samplesAudited() const { return samples_; }

 private:
  const Runtime& rt_;
  std::vector<std::string> failures_;
  int64_t samples_ = 0;
};

// The monotonic wall clock, in seconds.
double wallSeconds();

}  // namespace gomemsim
