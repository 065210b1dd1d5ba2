// Helpers for the tests that run the gomemsim command (tests/scenarios_test.cc,
// sim/compare/compare_test.cc): a shell command's exit status and output, a file's bytes, and a
// command stopped by a signal.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace gomemsim::cli_testing {

struct CmdResult {
  int status;
  std::string out;  // stdout and stderr together
};

inline CmdResult sh(const std::string& cmd) {
  CmdResult r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A fresh, empty directory for one test: under gtest's TempDir, named for the test and this
// process, so that suites run at once (two checkouts, a mutation run) never share one.
inline std::string freshTempDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/gomemsim-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The file's bytes, empty if it cannot be read.
inline std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `cmd --out out` and expects what bad input gets: exit status 2, `expect` in the message,
// and nothing written at `out`.
inline void expectRefusedWritingNothing(const std::string& cmd, const std::string& out, const std::string& expect) {
  const CmdResult r = sh(cmd + " --out " + out);
  EXPECT_EQ(r.status, 2) << cmd << "\n" << r.out;
  EXPECT_NE(r.out.find(expect), std::string::npos) << cmd << "\n" << r.out;
  EXPECT_FALSE(std::filesystem::exists(out)) << cmd << ": output left behind";
}

// Starts `sh -c cmd` (its output to `log`), waits until the command handles `sig` itself (its
// handler is installed: /proc/PID/status SigCgt), lets it run `after` more, sends `sig` and
// returns the exit status, or -1 if it did not exit normally.
inline int stopWithSignal(const std::string& cmd, const std::string& log, int sig, std::chrono::milliseconds after) {
  const std::string full = "exec " + cmd + " >" + log + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -2;
  const unsigned long long bit = 1ull << (sig - 1);
  for (int i = 0; i < 3000; ++i) {  // up to 30 s for the program to start
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    bool handled = false;
    while (std::getline(status, line))
      if (line.rfind("SigCgt:", 0) == 0) handled = (std::stoull(line.substr(7), nullptr, 16) & bit) != 0;
    if (handled) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(after);
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace gomemsim::cli_testing
