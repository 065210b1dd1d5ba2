#include "engine/run_control.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "engine/simulation.h"

namespace gomemsim {

namespace {

std::atomic<int> gStopSignal{0};
constexpr size_t kMaxAuditFailures = 20;
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler stores it");

extern "C" void onStopSignal(int sig) {
  if (gStopSignal.exchange(sig) != 0) {
    // The second signal: the default action, now.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

std::string duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) % 3600 / 60);
  return buf;
}

}  // namespace

void installStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes go on; the run checks the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stopSignal() { return gStopSignal.load(std::memory_order_relaxed); }

void requestStop(int sig) { gStopSignal.store(sig); }

std::string signalName(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(sig);
}

RunInterrupted::RunInterrupted(int sig, const std::string& when)
    : std::runtime_error("stopped by " + signalName(sig) + " " + when), sig_(sig) {}

void throwIfStopRequested() {
  if (const int sig = stopSignal()) throw RunInterrupted(sig, "before running; nothing written");
}

std::string progressText(double simulatedS, double plannedS, double wallS) {
  char buf[160];
  std::string text;
  if (plannedS > 0 && simulatedS <= plannedS) {
    std::snprintf(buf, sizeof buf, "simulated %.1f s of %.1f s (%.0f %%)", simulatedS, plannedS,
                  100 * simulatedS / plannedS);
  } else {
    std::snprintf(buf, sizeof buf, "simulated %.1f s", simulatedS);
  }
  text = buf;
  if (wallS > 0 && simulatedS > 0) {
    const double speed = simulatedS / wallS;
    std::snprintf(buf, sizeof buf, speed >= 10 ? ", %.0fx real time" : ", %.1fx real time", speed);
    text += buf;
    if (plannedS > simulatedS) text += ", " + duration((plannedS - simulatedS) / speed) + " left";
  }
  return text;
}

ProgressLine::ProgressLine(std::ostream& out, double plannedS, WallClock wall)
    : out_(out), plannedS_(plannedS), wall_(std::move(wall)), startS_(wall_()) {}

void ProgressLine::sampled(const TraceRow& row) {
  const double t = wall_();
  const double elapsed = t - startS_;
  if (elapsed < kProgressAfterS || (lastPrintS_ >= 0 && t - lastPrintS_ < kProgressEveryS)) return;
  lastPrintS_ = t;
  printed_ = true;
  out_ << "\r\033[K" << progressText(row.mem.timeS, plannedS_, elapsed) << std::flush;
}

void ProgressLine::finish() {
  if (printed_) out_ << "\r\033[K" << std::flush;
  printed_ = false;
}

void AccountingAudit::sampled(const TraceRow& row) {
  ++samples_;
  if (failures_.size() >= kMaxAuditFailures) return;
  char at[64];
  std::snprintf(at, sizeof at, "t=%.4f s", row.mem.timeS);
  for (const std::string& f : rt_.audit(row.mem)) failures_.push_back(std::string(at) + " (" + row.step + "): " + f);
}

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace gomemsim
